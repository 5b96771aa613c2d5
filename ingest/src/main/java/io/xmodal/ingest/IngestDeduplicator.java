package io.xmodal.ingest;

import io.xmodal.platform.streams.Outcome;
import java.time.Duration;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The stateful step of ingest, after the repartition by id (so every record of an id reaches the same task, whichever
 * partitioner its producer used): drops exact re-sends (same id, same content hash) and lets a tombstone delete.
 *
 * <p>Stores: {@code seen} maps id → content hash of the last accepted version; {@code counters} maps
 * accepted/duplicates/deleted → count for this task's partition, published as {@code ingest.<kind>.<counter>}.
 */
final class IngestDeduplicator<V extends SpecificRecord> implements Processor<String, V, String, Outcome<V>> {

  static final List<String> COUNTERS = List.of("accepted", "duplicates", "deleted");

  private final ValidationRules<V> rules;
  private final String service;
  private final String seenStore;
  private final String countersStore;
  private final Duration metricsInterval;

  private ProcessorContext<String, Outcome<V>> context;
  private KeyValueStore<String, String> seen;
  private TaskCounters counters;

  IngestDeduplicator(ValidationRules<V> rules, String service, String seenStore, String countersStore,
                     Duration metricsInterval) {
    this.rules = rules;
    this.service = service;
    this.seenStore = seenStore;
    this.countersStore = countersStore;
    this.metricsInterval = metricsInterval;
  }

  @Override
  public void init(ProcessorContext<String, Outcome<V>> context) {
    this.context = context;
    this.seen = context.getStateStore(seenStore);
    this.counters = new TaskCounters(rules.kind(), service, COUNTERS, context.getStateStore(countersStore));
    counters.publishEvery(metricsInterval, context);
  }

  @Override
  public void process(Record<String, V> record) {
    if (record.key() == null) {
      return; // the validator lets no keyless record through; nothing keyed by id can be done with one
    }
    if (record.value() == null) {
      delete(record);
      return;
    }
    String hash = rules.contentHash(record.value());
    if (hash.equals(seen.get(record.key()))) {
      counters.increment("duplicates");
      return;
    }
    seen.put(record.key(), hash);
    counters.increment("accepted");
    context.forward(record.withValue(new Outcome.Accepted<>(record.value())));
  }

  /**
   * A tombstone deletes the item: it is forgotten here (so sending it again later is not a duplicate) and the
   * tombstone goes on to the clean topic, from where encode-stream, the trainer and query-stream drop it too. A
   * tombstone for an id never seen is passed on all the same (deletes are idempotent).
   */
  private void delete(Record<String, V> record) {
    seen.delete(record.key());
    counters.increment("deleted");
    context.forward(record.withValue(new Outcome.Accepted<>(null)));
  }
}
