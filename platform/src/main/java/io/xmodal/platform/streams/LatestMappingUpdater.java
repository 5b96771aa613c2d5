package io.xmodal.platform.streams;

import io.xmodal.schemas.MappingModel;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The processor of a global store over {@code xmodal.mappings}: keeps the highest version per mapping name, so every
 * instance sees the live version (a rollback is published as a new, higher version).
 */
public final class LatestMappingUpdater implements Processor<String, MappingModel, Void, Void> {

  private final String storeName;
  private KeyValueStore<String, MappingModel> store;

  public LatestMappingUpdater(String storeName) {
    this.storeName = storeName;
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
    if (record.value() == null || current == null || record.value().getVersion() >= current.getVersion()) {
      store.put(record.key(), record.value());
    }
  }
}
