package io.xmodal.encoders;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Which encoder produced a vector: it travels with every embedding, so a model change is visible downstream.
 *
 * @param name        the model, e.g. {@code all-MiniLM-L6-v2}; for a composite, its blocks' names joined by
 *                    {@code +} and the combination rule in brackets
 * @param version     its artifact version or file name (a composite: its blocks' versions)
 * @param dimension   length of its vectors
 * @param checksum    sha256 of the model file; for a composite, sha256 over its blocks' identities and the rule
 * @param blocks      a composite's blocks in order (empty for one model)
 * @param combination a composite's combination rule label (empty for one model)
 */
public record EncoderInfo(String name, String version, int dimension, String checksum, List<EncoderInfo> blocks,
                          String combination) {

  public EncoderInfo {
    blocks = List.copyOf(blocks);
  }

  /** One model. */
  public EncoderInfo(String name, String version, int dimension, String checksum) {
    this(name, version, dimension, checksum, List.of(), "");
  }

  /** The identity of {@code blocks} joined by {@code rule}: a change of any block or of the rule changes it. */
  public static EncoderInfo composite(List<EncoderInfo> blocks, Combination rule) {
    if (blocks.size() < 2) {
      throw new IllegalArgumentException("a composite encoder needs at least two blocks, got " + blocks.size());
    }
    String name = blocks.stream().map(EncoderInfo::name).collect(Collectors.joining("+"))
        + "[" + rule.label() + "]";
    String version = blocks.stream().map(EncoderInfo::version).collect(Collectors.joining("+"));
    int dim = blocks.stream().mapToInt(EncoderInfo::dimension).sum();
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(rule.label().getBytes(StandardCharsets.UTF_8));
      for (EncoderInfo b : blocks) {
        md.update((byte) 0);
        md.update((b.name() + "@" + b.checksum() + "#" + b.dimension()).getBytes(StandardCharsets.UTF_8));
      }
      return new EncoderInfo(name, version, dim, HexFormat.of().formatHex(md.digest()), blocks, rule.label());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public boolean isComposite() {
    return !blocks.isEmpty();
  }
}
