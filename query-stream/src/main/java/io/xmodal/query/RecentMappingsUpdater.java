package io.xmodal.query;

import io.xmodal.schemas.MappingModel;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The global mappings store of sharded mode: like the replicated mode's, the highest version under the mapping's name
 * (the live one), and the version before it under {@link #previousKey}, so a shard can still answer a query pinned to
 * the version that was live when it was scattered, after a swap.
 */
final class RecentMappingsUpdater implements Processor<String, MappingModel, Void, Void> {

  private final String storeName;
  private KeyValueStore<String, MappingModel> store;

  RecentMappingsUpdater(String storeName) {
    this.storeName = storeName;
  }

  static String previousKey(String name) {
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
    MappingModel current = store.get(record.key());
    if (record.value() == null) {
      store.delete(record.key());
      store.delete(previousKey(record.key()));
      return;
    }
    if (current == null || record.value().getVersion() > current.getVersion()) {
      if (current != null) {
        store.put(previousKey(record.key()), current);
      }
      store.put(record.key(), record.value());
    } else if (record.value().getVersion() == current.getVersion()) {
      store.put(record.key(), record.value());
    }
  }
}
