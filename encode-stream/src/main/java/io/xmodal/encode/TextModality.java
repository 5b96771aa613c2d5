package io.xmodal.encode;

import io.xmodal.encoders.EncodingException;
import io.xmodal.schemas.CaptionEvent;
import io.xmodal.schemas.Embedding;
import io.xmodal.schemas.EncoderIdentity;

/** Captions: embedded by the sentence encoder, keyed by captionId, carrying the imageId they describe. */
final class TextModality implements Modality<CaptionEvent, String> {

  private final EncodeModels.Model<String> encoder;
  private final EncoderIdentity identity;

  TextModality(EncodeModels.Model<String> encoder) {
    this.encoder = encoder;
    this.identity = Identities.of(encoder.info());
  }

  @Override
  public String kind() {
    return "captions";
  }

  @Override
  public int batchSize(EncodeConfig config) {
    return config.textBatchSize();
  }

  @Override
  public String prepare(CaptionEvent event) {
    if (event.getText() == null || event.getText().isBlank()) {
      throw new EncodingException("caption " + event.getCaptionId() + " has no text");
    }
    return event.getText();
  }

  @Override
  public boolean prepareOffThread() {
    return false;
  }

  @Override
  public EncodeModels.Model<String> encoder() {
    return encoder;
  }

  @Override
  public Embedding.Builder describe(CaptionEvent event) {
    return Embedding.newBuilder().setId(event.getCaptionId()).setModality(io.xmodal.schemas.Modality.TEXT)
        .setEncoderInfo(identity).setPairedImageId(event.getImageId()).setSource(event.getSource())
        .setContentHash(event.getContentHash());
  }
}
