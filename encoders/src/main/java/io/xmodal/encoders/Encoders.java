package io.xmodal.encoders;

import io.xmodal.encoders.image.ImageEncoder;
import io.xmodal.encoders.text.TextEncoder;

/** The two models, loaded once per process and shared by every thread (each opens its own session). */
public record Encoders(TextEncoder text, ImageEncoder image) implements AutoCloseable {

  public static Encoders load(EncoderSettings s) {
    TextEncoder text = TextEncoder.load(s.textModel(), s.modelCache(), s.device(), s.maxTokens(), s.threads());
    try {
      return new Encoders(text, ImageEncoder.load(s.image(), s.device(), s.threads()));
    } catch (RuntimeException e) {
      text.close();
      throw e;
    }
  }

  @Override
  public void close() {
    text.close();
    image.close();
  }
}
