package io.xmodal.schemas;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The {@code contentHash} of an accepted {@link ImageEvent} or {@link CaptionEvent} (SHA-256, lower-case hex), as
 * ingest sets it: the identity of a record's content, by which ingest drops duplicates and query-stream finds a stored
 * embedding of the content a query carries ({@link Embedding} carries its event's hash). One definition, so that both
 * compute the same hash.
 */
public final class ContentHash {

  private ContentHash() {}

  /** An image's: the hash of its bytes (as ingest accepted them: sent, or read from its {@code file:} URI). */
  public static String ofImage(byte[] bytes) {
    return HexFormat.of().formatHex(digest().digest(bytes));
  }

  /**
   * A caption's: the hash of the image it describes (null for free text), its language and its text, each UTF-8 and
   * terminated by NUL, so that ("ab", "c") and ("a", "bc") differ. Text with the same words paired with another image
   * (or none) has another hash.
   */
  public static String ofCaption(String imageId, String language, String text) {
    MessageDigest md = digest();
    for (String part : new String[] {imageId, language, text}) {
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
