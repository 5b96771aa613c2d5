package io.xmodal.encode;

import io.xmodal.encoders.EncodingException;
import io.xmodal.encoders.image.ImageDecoder;
import io.xmodal.schemas.Embedding;
import io.xmodal.schemas.EncoderIdentity;
import io.xmodal.schemas.ImageEvent;
import java.awt.image.BufferedImage;
import java.nio.ByteBuffer;
import java.util.Optional;

/**
 * Images: decoded upright RGB from their bytes and, when every block of the image model squashes it to one size,
 * resized to that size (on a {@link PreparePool} thread, so that the translator's own resize finds nothing left to
 * do), embedded by the image model, keyed by imageId.
 */
final class ImageModality implements Modality<ImageEvent, BufferedImage> {

  private final EncodeModels.Model<BufferedImage> encoder;
  private final EncoderIdentity identity;
  private final Optional<EncodeModels.Size> resizeTo;

  ImageModality(EncodeModels.Model<BufferedImage> encoder, Optional<EncodeModels.Size> resizeTo) {
    this.encoder = encoder;
    this.identity = Identities.of(encoder.info());
    this.resizeTo = resizeTo;
  }

  @Override
  public String kind() {
    return "images";
  }

  @Override
  public int batchSize(EncodeConfig config) {
    return config.batchSize();
  }

  @Override
  public BufferedImage prepare(ImageEvent event) {
    if (event.getBytes() == null) {
      throw new EncodingException("image " + event.getImageId() + " has no bytes");
    }
    ByteBuffer b = event.getBytes().duplicate();
    byte[] bytes = new byte[b.remaining()];
    b.get(bytes);
    BufferedImage image = ImageDecoder.decodeRgb(bytes);
    return resizeTo.map(s -> ImageDecoder.resize(image, s.width(), s.height())).orElse(image);
  }

  @Override
  public boolean prepareOffThread() {
    return true;
  }

  @Override
  public EncodeModels.Model<BufferedImage> encoder() {
    return encoder;
  }

  @Override
  public Embedding.Builder describe(ImageEvent event) {
    return Embedding.newBuilder().setId(event.getImageId()).setModality(io.xmodal.schemas.Modality.IMAGE)
        .setEncoderInfo(identity).setSource(event.getSource()).setContentHash(event.getContentHash());
  }
}
