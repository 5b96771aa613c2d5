package io.xmodal.platform.config;

import java.util.Locale;

/**
 * A positive number of bytes, written as the JVM writes its sizes: {@code 65536}, {@code 256k}, {@code 512m},
 * {@code 2g} (k, m, g, t are powers of 1024, either case). The JVM ({@code -Xmx}, {@code -XX:MaxDirectMemorySize})
 * and JavaCPP ({@code org.bytedeco.javacpp.maxbytes}) read the same form, so {@link #toString()} can be handed to
 * either.
 */
public record ByteSize(long bytes) {

  private static final String UNITS = "kmgt";

  public ByteSize {
    if (bytes <= 0) {
      throw new IllegalArgumentException("a size must be positive, got " + bytes);
    }
  }

  /** {@code 512m} → 536,870,912 bytes; throws {@link IllegalArgumentException} for anything else. */
  public static ByteSize parse(String text) {
    String s = text.strip().toLowerCase(Locale.ROOT);
    if (!s.matches("[0-9]+[kmgt]?")) {
      throw new IllegalArgumentException("not a size such as 512m or 2g: '" + text + "'");
    }
    char last = s.charAt(s.length() - 1);
    int unit = UNITS.indexOf(last) + 1;
    String digits = unit == 0 ? s : s.substring(0, s.length() - 1);
    try {
      return new ByteSize(Math.multiplyExact(Long.parseLong(digits), 1L << (10 * unit)));
    } catch (ArithmeticException | NumberFormatException e) {
      throw new IllegalArgumentException("too large: '" + text + "'");
    }
  }

  /** The size in the largest unit that writes it exactly: {@code 2g}, {@code 1536m}, {@code 65537}. */
  @Override
  public String toString() {
    for (int unit = UNITS.length(); unit > 0; unit--) {
      long multiple = 1L << (10 * unit);
      if (bytes % multiple == 0) {
        return (bytes / multiple) + String.valueOf(UNITS.charAt(unit - 1));
      }
    }
    return Long.toString(bytes);
  }
}
