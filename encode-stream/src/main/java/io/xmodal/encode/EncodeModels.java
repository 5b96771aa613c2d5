package io.xmodal.encode;

import io.xmodal.encoders.Encoder;
import io.xmodal.encoders.EncoderInfo;
import io.xmodal.encoders.EncoderSession;
import io.xmodal.encoders.Encoders;
import io.xmodal.encoders.image.ImageEncoder;
import io.xmodal.encoders.image.ImageModelSpec;
import java.awt.image.BufferedImage;
import java.util.Optional;
import java.util.function.IntSupplier;
import java.util.function.Supplier;

/**
 * What encode-stream encodes with, per modality: how a task opens its own session (one DJL predictor each) and the
 * identity its vectors carry; for images also the size the decode pool resizes to, when every block squashes the image
 * to one size first. Normally
 * {@link #of(Encoders) the loaded encoders}; the encode benchmark's pipeline-ceiling mode passes near-free models of
 * the same shapes.
 *
 * @param text       the sentence encoder
 * @param image      the image encoder
 * @param resizeTo   the size every image block squashes an image to before cutting its views; empty when blocks
 *                   differ (ResNet-50 flip-averaged takes 224 × 224, on five crops 288 × 288): the pool then only
 *                   decodes, and each block's translator resizes from the decoded image, as the offline evaluation
 *                   does, so that the vectors are the same
 */
public record EncodeModels(Model<String> text, Model<BufferedImage> image, Optional<Size> resizeTo) {

  /**
   * One modality's encoder: its identity, a new session per call (close it with the processor), and the release of its
   * models while no session is open ({@link Encoder#releaseIfUnused()}).
   */
  public record Model<I>(EncoderInfo info, Supplier<EncoderSession<I>> sessions, IntSupplier release) {

    /** An encoder of this identity whose sessions come from {@code encoder}. */
    public static <I> Model<I> of(Encoder<I> encoder) {
      return new Model<>(encoder.info(), encoder::newSession, encoder::releaseIfUnused);
    }
  }

  /** An image size in pixels. */
  public record Size(int width, int height) {}

  public static EncodeModels of(Encoders encoders) {
    return new EncodeModels(Model.of(encoders.text()), Model.of(encoders.image()), resizeOf(encoders.image()));
  }

  /**
   * The size every block of {@code image} squashes an image to before cutting its views (ResNet-50 and MobileNetV2
   * flip-averaged: both 224 × 224), so the pool resizes once for all of them; empty when the blocks differ.
   */
  public static Optional<Size> resizeOf(Encoder<BufferedImage> image) {
    Size common = null;
    for (Encoder<BufferedImage> block : image.blocks()) {
      ImageModelSpec spec = ((ImageEncoder) block).spec();
      Size size = new Size(spec.sourceWidth(), spec.sourceHeight());
      if (common != null && !common.equals(size)) {
        return Optional.empty();
      }
      common = size;
    }
    return Optional.ofNullable(common);
  }
}
