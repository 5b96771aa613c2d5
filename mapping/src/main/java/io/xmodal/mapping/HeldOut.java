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

  /** Reference captions for hubness penalties: training captions whose CRC32("ref:" + id) mod 100 is below 15. */
  public static boolean isReferenceCaption(String captionId) {
    return bucket("ref:" + captionId) < 15;
  }

  /** Reference images for hubness penalties: training images whose CRC32("ref:" + id) mod 100 is below 20. */
  public static boolean isReferenceImage(String imageId) {
    return bucket("ref:" + imageId) < 20;
  }

  /**
   * At most this many reference captions travel in a MappingModel, mapped (k floats each). More references give
   * steadier hubness penalties: on Flickr8k dev 4,096/1,024 scored higher than 2,048/512 (docs/quality.md).
   */
  public static final int MAX_REFERENCE_CAPTIONS = 4096;
  /** At most this many reference images travel in a MappingModel, mapped (k floats each). */
  public static final int MAX_REFERENCE_IMAGES = 1024;

  /**
   * The references to keep when there are more than {@code max}: those whose ids hash lowest, so the choice does not
   * depend on arrival order and the model's size stays bounded however many pairs arrive.
   */
  public static <T> java.util.List<T> capReferences(java.util.Map<String, T> byId, int max) {
    return byId.entrySet().stream()
        .sorted(java.util.Comparator.comparingLong((java.util.Map.Entry<String, T> e) -> hash("ref:" + e.getKey()))
            .thenComparing(java.util.Map.Entry::getKey))
        .limit(max).map(java.util.Map.Entry::getValue).toList();
  }

  /** CRC32 of the UTF-8 bytes: the hash every membership and sampling rule here is built on. */
  public static long hash(String s) {
    CRC32 crc = new CRC32();
    crc.update(s.getBytes(StandardCharsets.UTF_8));
    return crc.getValue();
  }

  private static long bucket(String s) {
    return hash(s) % 100;
  }
}
