package io.xmodal.encode;

import io.xmodal.encoders.image.ImageEncoder;
import io.xmodal.encoders.text.TextEncoder;
import io.xmodal.schemas.EncoderIdentity;
import io.xmodal.encoders.EncoderInfo;

/** The two models, loaded once per process and shared by every stream thread (each opens its own session). */
public record Encoders(TextEncoder text, ImageEncoder image) implements AutoCloseable {

  public static Encoders load(EncodeConfig config) {
    TextEncoder text = TextEncoder.load(config.textModel(), config.modelCache(), config.device(), config.maxTokens(),
        config.threads());
    try {
      return new Encoders(text, ImageEncoder.load(config.image(), config.device(), config.threads()));
    } catch (RuntimeException e) {
      text.close();
      throw e;
    }
  }

  static EncoderIdentity identity(EncoderInfo info) {
    return EncoderIdentity.newBuilder().setName(info.name()).setVersion(info.version()).setDimension(info.dimension())
        .setChecksum(info.checksum()).build();
  }

  @Override
  public void close() {
    text.close();
    image.close();
  }
}
