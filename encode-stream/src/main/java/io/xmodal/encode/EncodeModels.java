package io.xmodal.encode;

import io.xmodal.encoders.Encoder;
import io.xmodal.encoders.EncoderInfo;
import io.xmodal.encoders.EncoderSession;
import io.xmodal.encoders.Encoders;
import io.xmodal.encoders.image.ImageEncoder;
import io.xmodal.encoders.image.ImageModelSpec;
import java.awt.image.BufferedImage;
import java.util.function.Supplier;

/**
 * What encode-stream encodes with, per modality: how a task opens its own session (one DJL predictor each) and the
 * identity its vectors carry; for images also the model's input size, which the decode pool resizes to. Normally
 * {@link #of(Encoders) the loaded encoders}; the encode benchmark's pipeline-ceiling mode passes near-free models of
 * the same shapes.
 *
 * @param text       the sentence encoder
 * @param image      the image encoder
 * @param imageSpec  the image model's input (size, layout) as its translator expects it
 */
public record EncodeModels(Model<String> text, Model<BufferedImage> image, ImageModelSpec imageSpec) {

  /** One modality's encoder: its identity, and a new session per call (close it with the processor). */
  public record Model<I>(EncoderInfo info, Supplier<EncoderSession<I>> sessions) {}

  public static EncodeModels of(Encoders encoders) {
    return new EncodeModels(new Model<>(encoders.text().info(), encoders.text()::newSession),
        new Model<>(encoders.image().info(), encoders.image()::newSession), inputOf(encoders.image()));
  }

  /**
   * The input every block of {@code image} takes (a composite's blocks share one here: ResNet-50 and MobileNetV2 are
   * both 224×224), so the pool resizes once for all of them.
   */
  public static ImageModelSpec inputOf(Encoder<BufferedImage> image) {
    ImageModelSpec first = null;
    for (Encoder<BufferedImage> block : image.blocks()) {
      ImageModelSpec spec = ((ImageEncoder) block).spec();
      if (first != null && (spec.width() != first.width() || spec.height() != first.height())) {
        throw new IllegalArgumentException("the image models of a composite encoder must take one input size; "
            + first.name() + " takes " + first.width() + "x" + first.height() + ", " + spec.name() + " takes "
            + spec.width() + "x" + spec.height() + " (XMODAL_IMAGE_ENCODER)");
      }
      first = first == null ? spec : first;
    }
    return first;
  }
}
