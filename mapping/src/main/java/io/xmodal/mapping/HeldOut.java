package io.xmodal.mapping;

import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/**
 * Deterministic membership rules shared by the trainer, the offline evaluation and query-stream, so they agree on
 * data without coordinating: an image (and every caption of it) is held out iff CRC32(imageId) mod 100 &lt; p; the
 * reference queries for hubness penalties are the training items picked by a second hash.
 */
public final class HeldOut {

  private HeldOut() {}

  public static boolean isHeldOut(String imageId, int percent) {
    return bucket(imageId) < percent;
  }

  /** Reference captions for hubness penalties: training captions whose CRC32("ref:" + id) mod 100 is below 7. */
  public static boolean isReferenceCaption(String captionId) {
    return bucket("ref:" + captionId) < 7;
  }

  /** Reference images for hubness penalties: training images whose CRC32("ref:" + id) mod 100 is below 8. */
  public static boolean isReferenceImage(String imageId) {
    return bucket("ref:" + imageId) < 8;
  }

  private static long bucket(String s) {
    CRC32 crc = new CRC32();
    crc.update(s.getBytes(StandardCharsets.UTF_8));
    return crc.getValue() % 100;
  }
}
