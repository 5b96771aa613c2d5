package io.xmodal.ingest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256, hex: the identity of a record's content, used for deduplication. */
final class ContentHash {

  private ContentHash() {}

  static String of(byte[] bytes) {
    return HexFormat.of().formatHex(digest().digest(bytes));
  }

  /** Hash of several strings, each terminated by NUL so that ("ab","c") and ("a","bc") differ. */
  static String ofStrings(String... parts) {
    MessageDigest md = digest();
    for (String part : parts) {
      if (part != null) {
        md.update(part.getBytes(StandardCharsets.UTF_8));
      }
      md.update((byte) 0);
    }
    return HexFormat.of().formatHex(md.digest());
  }

  private static MessageDigest digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every JVM", e);
    }
  }
}
