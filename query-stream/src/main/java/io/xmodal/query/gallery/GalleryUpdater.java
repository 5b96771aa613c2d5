package io.xmodal.query.gallery;

import io.xmodal.schemas.Embedding;
import java.util.function.Function;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The processor of an embeddings store: writes the store and tells its {@link GalleryIndex} (which follows only while
 * a query task holds it); a tombstone deletes the item from both. Replicated mode: a global store and the instance's
 * index; Kafka Streams never closes a global processor (and builds a second one to replay a restore), so the index's
 * life is its holders', not this processor's. Sharded mode: a gallery partition's read-only store (its changelog is
 * the embeddings topic itself) and the index of its task.
 */
public final class GalleryUpdater implements Processor<String, Embedding, Void, Void> {

  private final String storeName;
  private final Function<ProcessorContext<Void, Void>, GalleryIndex> indexOf;
  private GalleryIndex index;
  private KeyValueStore<String, Embedding> store;

  public GalleryUpdater(String storeName, GalleryIndex index) {
    this(storeName, context -> index);
  }

  public GalleryUpdater(String storeName, Function<ProcessorContext<Void, Void>, GalleryIndex> indexOf) {
    this.storeName = storeName;
    this.indexOf = indexOf;
  }

  @Override
  public void init(ProcessorContext<Void, Void> context) {
    store = context.getStateStore(storeName);
    index = indexOf.apply(context);
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
