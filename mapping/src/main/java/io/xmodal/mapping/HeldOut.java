package io.xmodal.mapping;

import java.nio.charset.StandardCharsets;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;

/**
 * Deterministic membership rules shared by the trainer, the offline evaluation and query-stream, so they agree on
 * data without coordinating: an image (and every caption of it) is held out iff CRC32(imageId) mod 100 &lt; p; the
 * reference queries for hubness penalties are the training items whose ids hash lowest by a second hash.
 */
public final class HeldOut {

  private HeldOut() {}

  public static boolean isHeldOut(String imageId, int percent) {
    return bucket(imageId) < percent;
  }

  /**
   * By default ({@link ReferenceCaps#DEFAULT}; {@code XMODAL_TRAINER_REFERENCE_CAPTIONS}) at most this many reference
   * captions travel in a MappingModel, mapped and rounded to int8 ({@link Int8Rows}: k
   * bytes and a float each), picked from the training captions by id hash. On Flickr8k 16,384 (more than half of the
   * training captions) scored 1.1 rsum higher than 4,096 on the held-out tenth, and 0.2 on dev, for 3.2 MB more in
   * each version at k = 256 and four times the text→image penalty cost (docs/quality.md).
   */
  public static final int MAX_REFERENCE_CAPTIONS = 16384;
  /**
   * By default ({@code XMODAL_TRAINER_REFERENCE_IMAGES}) at most this many reference images, picked as the captions
   * are. A cap of 6,144 (every training image of Flickr8k)
   * scored higher on the held-out tenth and on dev, but made each refit's search and each new version's gallery
   * projection about twice as slow, and the demo's first query batches outlasted their transaction
   * (docs/quality.md).
   */
  public static final int MAX_REFERENCE_IMAGES = 1024;

  /**
   * The references to keep when there are more than {@code max}: those whose ids hash lowest, so the choice does not
   * depend on arrival order and the model's size stays bounded however many pairs arrive.
   */
  public static <T> List<T> capReferences(Map<String, T> byId, int max) {
    return lowestHashing(byId.keySet(), max).stream().map(byId::get).toList();
  }

  /**
   * Keeps in {@code byId} only the {@code max} ids that hash lowest, so a stream of training items holds a bounded
   * number of references. Trimming to more than the cap leaves {@link #capReferences} the same pick as keeping
   * everything (an evicted id hashes above every kept one), as long as fewer of the kept ids are deleted than the
   * slack between what was kept and the cap: deleted references are not replaced by ids evicted before.
   */
  public static void keepReferences(Map<String, ?> byId, int max) {
    if (byId.size() > max) {
      byId.keySet().retainAll(new HashSet<>(lowestHashing(byId.keySet(), max)));
    }
  }

  private static List<String> lowestHashing(Collection<String> ids, int max) {
    return ids.stream().sorted(Comparator.comparingLong((String id) -> hash("ref:" + id)).thenComparing(id -> id))
        .limit(max).toList();
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
