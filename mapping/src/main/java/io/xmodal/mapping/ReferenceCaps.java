package io.xmodal.mapping;

/**
 * How many hubness reference queries a mapping version carries at most, picked among the training items by id hash
 * ({@link HeldOut#capReferences}): captions (the text→image penalties of gallery images) and images (the image→text
 * penalties of gallery captions). Each costs k + 4 bytes in the version, and every gallery item's penalty is computed
 * against all of them when a version is projected, in the trainer's held-out scoring of every candidate and in
 * query-stream.
 *
 * @param captions reference captions, at least {@link #MIN}
 * @param images   reference images, at least {@link #MIN}
 */
public record ReferenceCaps(int captions, int images) {

  /** Fewest references of each kind: CSLS averages the 10 to 40 nearest (the hubness grid). */
  public static final int MIN = 64;

  /** The default: {@link HeldOut#MAX_REFERENCE_CAPTIONS} and {@link HeldOut#MAX_REFERENCE_IMAGES}. */
  public static final ReferenceCaps DEFAULT =
      new ReferenceCaps(HeldOut.MAX_REFERENCE_CAPTIONS, HeldOut.MAX_REFERENCE_IMAGES);

  public ReferenceCaps {
    if (captions < MIN || images < MIN) {
      throw new IllegalArgumentException("hubness references must be at least " + MIN + " of each kind (CSLS "
          + "averages up to the 40 nearest), got " + captions + " captions and " + images + " images");
    }
  }
}
