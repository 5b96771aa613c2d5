package io.xmodal.encoders;

import ai.djl.Device;
import java.util.ArrayList;
import java.util.List;

/**
 * Several encoders of one modality run on the same input, their vectors joined by a {@link Combination} (for example
 * MiniLM ⊕ bge-small for text, ResNet-50 ⊕ MobileNetV2 for images). Its identity names every block, its checksum and
 * the rule, so a composite's vectors are never compared with another composition's. Owns its blocks.
 */
public final class CompositeEncoder<I> implements Encoder<I> {

  private final List<Encoder<I>> blocks;
  private final Combination combination;
  private final EncoderInfo info;

  public CompositeEncoder(List<? extends Encoder<I>> blocks, Combination combination) {
    this.blocks = List.copyOf(blocks);
    this.combination = combination;
    this.info = EncoderInfo.composite(this.blocks.stream().map(Encoder::info).toList(), combination);
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

  @Override
  public EncoderSession<I> newSession() {
    List<EncoderSession<I>> parts = new ArrayList<>();
    try {
      for (Encoder<I> b : blocks) {
        parts.add(b.newSession());
      }
    } catch (RuntimeException e) {
      parts.forEach(EncoderSession::close);
      throw e;
    }
    return EncoderSession.composite(parts, combination);
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
