package io.xmodal.encoders;

import ai.djl.Device;
import java.util.ArrayList;
import java.util.List;

/**
 * Several encoders of one modality run on the same input, their vectors joined by a {@link Combination} (for example
 * MiniLM ⊕ bge-small for text, ResNet-50 ⊕ MobileNetV2 for images). Its identity names every block, its checksum and
 * the rule, so a composite's vectors are never compared with another composition's. Owns its blocks.
 *
 * <p>With {@code calls} above 1 each session runs a batch's model calls, every block's, side by side on that many
 * threads ({@link SideBySide}); one block is then allowed, whose identity and vectors stay the block's own.
 */
public final class CompositeEncoder<I> implements Encoder<I> {

  private final List<Encoder<I>> blocks;
  private final Combination combination;
  private final EncoderInfo info;
  private final int calls;

  public CompositeEncoder(List<? extends Encoder<I>> blocks, Combination combination) {
    this(blocks, combination, 1);
  }

  /** @param calls model calls each session runs at once, on as many threads (1: one after another) */
  public CompositeEncoder(List<? extends Encoder<I>> blocks, Combination combination, int calls) {
    if (calls < 1) {
      throw new IllegalArgumentException("calls must be at least 1, got " + calls);
    }
    if (blocks.size() < (calls > 1 ? 1 : 2)) {
      throw new IllegalArgumentException("a composite of " + blocks.size() + " block(s) run " + calls + " call(s) at "
          + "a time joins nothing");
    }
    this.blocks = List.copyOf(blocks);
    this.combination = combination;
    this.calls = calls;
    this.info = this.blocks.size() == 1 ? this.blocks.get(0).info()
        : EncoderInfo.composite(this.blocks.stream().map(Encoder::info).toList(), combination);
  }

  @Override
  public EncoderInfo info() {
    return info;
  }

  @Override
  public Device device() {
    return blocks.get(0).device();
  }

  public Combination combination() {
    return combination;
  }

  @Override
  public List<Encoder<I>> blocks() {
    return blocks;
  }

  /** How many model calls each session runs at once. */
  public int calls() {
    return calls;
  }

  @Override
  public EncoderSession<I> newSession() {
    return session(blocks, blocks.size() == 1 ? null : combination);
  }

  /**
   * A session of block {@code block} alone (its own vectors, not joined), its calls run as this encoder runs them:
   * side by side where it runs several at once.
   */
  public EncoderSession<I> newSession(int block) {
    Encoder<I> one = blocks.get(block);
    return calls == 1 ? one.newSession() : session(List.of(one), null);
  }

  private EncoderSession<I> session(List<Encoder<I>> of, Combination joinedBy) {
    List<List<EncoderSession<I>>> lanes = new ArrayList<>();
    try {
      for (int w = 0; w < calls; w++) {
        List<EncoderSession<I>> lane = new ArrayList<>();
        lanes.add(lane);
        for (Encoder<I> b : of) {
          lane.add(b.newSession());
        }
      }
      return calls == 1 ? EncoderSession.composite(lanes.get(0), joinedBy)
          : EncoderSession.sideBySide(lanes, joinedBy);
    } catch (RuntimeException e) {
      lanes.forEach(lane -> lane.forEach(EncoderSession::close));
      throw e;
    }
  }

  @Override
  public int releaseIfUnused() {
    int released = 0;
    for (Encoder<I> b : blocks) {
      released += b.releaseIfUnused();
    }
    return released;
  }

  @Override
  public void close() {
    RuntimeException first = null;
    for (Encoder<I> b : blocks) {
      try {
        b.close();
      } catch (RuntimeException e) {
        first = first == null ? e : first;
      }
    }
    if (first != null) {
      throw first;
    }
  }
}
