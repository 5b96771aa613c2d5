package io.xmodal.encode;

import io.xmodal.encoders.EncoderInfo;
import io.xmodal.encoders.EncoderSession;
import io.xmodal.encoders.Encoders;
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
        new Model<>(encoders.image().info(), encoders.image()::newSession), encoders.image().spec());
  }
}
