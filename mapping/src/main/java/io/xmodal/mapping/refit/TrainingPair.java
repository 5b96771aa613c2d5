package io.xmodal.mapping.refit;

/**
 * One caption paired with its image, as the encoders produced them (raw vectors; the training set L2-normalises).
 *
 * @param heldOut whether the image is held out ({@link io.xmodal.mapping.HeldOut}): held-out pairs score candidates
 *                and never enter a fit
 */
public record TrainingPair(String captionId, String imageId, boolean heldOut, float[] text, float[] image) {}
