package io.xmodal.platform.streams;

import io.xmodal.schemas.MappingModel;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The processor of a global store over {@code xmodal.mappings}: keeps the highest version per mapping name, so every
 * instance sees the live version (a rollback is published as a new, higher version). {@link #keepingPrevious} also
 * keeps the version before it under {@link #previousKey}: sharded query-stream answers a query pinned to the version
 * that was live when it was scattered, after a swap.
 */
public final class LatestMappingUpdater implements Processor<String, MappingModel, Void, Void> {

  private final String storeName;
  private final boolean keepPrevious;
  private KeyValueStore<String, MappingModel> store;

  public LatestMappingUpdater(String storeName) {
    this(storeName, false);
  }

  private LatestMappingUpdater(String storeName, boolean keepPrevious) {
    this.storeName = storeName;
    this.keepPrevious = keepPrevious;
  }

  /** An updater that also keeps, under {@link #previousKey}, the version a newer one replaced. */
  public static LatestMappingUpdater keepingPrevious(String storeName) {
    return new LatestMappingUpdater(storeName, true);
  }

  /** Where {@link #keepingPrevious} keeps the version before the live one of mapping {@code name}. */
  public static String previousKey(String name) {
    return name + "\u0000previous";
  }

  @Override
  public void init(ProcessorContext<Void, Void> context) {
    store = context.getStateStore(storeName);
  }

  @Override
  public void process(Record<String, MappingModel> record) {
    if (record.key() == null) {
      return;
    }
    if (record.value() == null) {
      store.delete(record.key());
      if (keepPrevious) {
        store.delete(previousKey(record.key()));
      }
      return;
    }
    MappingModel current = store.get(record.key());
    if (current == null || record.value().getVersion() >= current.getVersion()) {
      if (keepPrevious && current != null && record.value().getVersion() > current.getVersion()) {
        store.put(previousKey(record.key()), current);
      }
      store.put(record.key(), record.value());
    }
  }
}
