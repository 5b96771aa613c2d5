package io.xmodal.query;

import io.xmodal.schemas.Embedding;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The processor of a global embeddings store: writes the store and tells the instance's {@link GalleryIndex} (which
 * follows only while a query task holds it); a tombstone deletes the item from both. Kafka Streams never closes a
 * global processor (and builds a second one to replay a restore), so the index's life is its holders', not this
 * processor's.
 */
final class GalleryUpdater implements Processor<String, Embedding, Void, Void> {

  private final String storeName;
  private final GalleryIndex index;
  private KeyValueStore<String, Embedding> store;

  GalleryUpdater(String storeName, GalleryIndex index) {
    this.storeName = storeName;
    this.index = index;
  }

  @Override
  public void init(ProcessorContext<Void, Void> context) {
    store = context.getStateStore(storeName);
  }

  @Override
  public void process(Record<String, Embedding> record) {
    if (record.key() == null) {
      return;
    }
    if (record.value() == null) {
      store.delete(record.key());
      index.remove(record.key());
      return;
    }
    store.put(record.key(), record.value());
    index.put(record.value());
  }
}
