package io.xmodal.trainer;

import io.xmodal.schemas.Embedding;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Re-keys caption embeddings (keyed by captionId) by the image they describe, remembering each caption's image
 * (store: captionId → imageId). A tombstone carries no imageId; the store supplies it, so the deletion reaches the
 * join as a null value keyed by the old imageId with the caption's id in the header {@link #DELETED_CAPTION}. A
 * caption moved to another image, or turned into free text, deletes its old pairing the same way first.
 */
final class CaptionOwnerProcessor implements Processor<String, Embedding, String, Embedding> {

  /** Header of a null-valued record on the captions-by-image stream: which caption of that image was deleted. */
  static final String DELETED_CAPTION = "xmodal.deleted-caption";

  private final String storeName;
  private ProcessorContext<String, Embedding> context;
  private KeyValueStore<String, String> owners;

  CaptionOwnerProcessor(String storeName) {
    this.storeName = storeName;
  }

  @Override
  public void init(ProcessorContext<String, Embedding> context) {
    this.context = context;
    this.owners = context.getStateStore(storeName);
  }

  @Override
  public void process(Record<String, Embedding> record) {
    String captionId = record.key();
    if (captionId == null) {
      return;
    }
    Embedding e = record.value();
    String before = owners.get(captionId);
    String now = e == null ? null : e.getPairedImageId();
    if (before != null && !before.equals(now)) {
      RecordHeaders headers = new RecordHeaders();
      headers.add(DELETED_CAPTION, captionId.getBytes(StandardCharsets.UTF_8));
      context.forward(new Record<String, Embedding>(before, null, record.timestamp(), headers));
    }
    if (now == null) {
      if (before != null) {
        owners.delete(captionId);
      }
      return;
    }
    if (!Objects.equals(before, now)) {
      owners.put(captionId, now);
    }
    context.forward(new Record<>(now, e, record.timestamp(), record.headers()));
  }

  /** The deleted caption's id, if this null-valued record is a caption deletion; null for an image tombstone. */
  static String deletedCaption(Record<String, ?> record) {
    Header h = record.headers().lastHeader(DELETED_CAPTION);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }
}
