package io.xmodal.trainer;

import io.xmodal.mapping.HeldOut;
import io.xmodal.schemas.Embedding;
import io.xmodal.schemas.EmbeddingVectors;
import io.xmodal.schemas.Modality;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Joins caption embeddings with image embeddings on imageId, whichever comes first. Input: both kinds keyed by
 * imageId (captions were re-keyed and repartitioned). Every time a caption or its image (re)arrives, the current
 * pair is emitted, keyed by captionId; a re-encoded item thereby replaces its older pairs downstream.
 */
final class PairJoinProcessor implements Processor<String, Embedding, String, PairOp> {

  static final String SEPARATOR = "\u0000";

  private final String imagesStore;
  private final String captionsStore;
  private final int heldOutPercent;
  private ProcessorContext<String, PairOp> context;
  private KeyValueStore<String, Embedding> images;
  private KeyValueStore<String, Embedding> captions;

  PairJoinProcessor(String imagesStore, String captionsStore, int heldOutPercent) {
    this.imagesStore = imagesStore;
    this.captionsStore = captionsStore;
    this.heldOutPercent = heldOutPercent;
  }

  @Override
  public void init(ProcessorContext<String, PairOp> context) {
    this.context = context;
    this.images = context.getStateStore(imagesStore);
    this.captions = context.getStateStore(captionsStore);
  }

  @Override
  public void process(Record<String, Embedding> record) {
    Embedding e = record.value();
    String imageId = record.key();
    if (imageId == null) {
      return;
    }
    if (e == null) {
      delete(imageId, CaptionOwnerProcessor.deletedCaption(record), record);
      return;
    }
    if (e.getModality() == Modality.IMAGE) {
      images.put(imageId, e);
      try (KeyValueIterator<String, Embedding> own = captions.prefixScan(imageId + SEPARATOR, new StringSerializer())) {
        List<KeyValue<String, Embedding>> all = new ArrayList<>();
        own.forEachRemaining(all::add);
        for (KeyValue<String, Embedding> caption : all) {
          emit(caption.value, e, record);
        }
      }
    } else {
      captions.put(imageId + SEPARATOR + e.getId(), e);
      Embedding image = images.get(imageId);
      if (image != null) {
        emit(e, image, record);
      }
    }
  }

  /**
   * A caption deletion drops that caption and its pair; an image tombstone drops the image and every pair it is in
   * (its captions stay, waiting for the image to come back). A pair is deleted downstream by a null PairOp keyed by
   * captionId.
   */
  private void delete(String imageId, String captionId, Record<String, Embedding> cause) {
    if (captionId != null) {
      captions.delete(imageId + SEPARATOR + captionId);
      context.forward(new Record<String, PairOp>(captionId, null, cause.timestamp()));
      return;
    }
    images.delete(imageId);
    List<String> own = new ArrayList<>();
    try (KeyValueIterator<String, Embedding> all = captions.prefixScan(imageId + SEPARATOR, new StringSerializer())) {
      all.forEachRemaining(kv -> own.add(kv.value.getId()));
    }
    for (String id : own) {
      context.forward(new Record<String, PairOp>(id, null, cause.timestamp()));
    }
  }

  private void emit(Embedding caption, Embedding image, Record<String, Embedding> cause) {
    PairOp pair = new PairOp(caption.getId(), image.getId(), HeldOut.isHeldOut(image.getId(), heldOutPercent),
        caption.getEncoderInfo(), image.getEncoderInfo(), EmbeddingVectors.of(caption), EmbeddingVectors.of(image));
    context.forward(new Record<>(caption.getId(), pair, cause.timestamp()));
  }
}
