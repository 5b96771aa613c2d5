package io.xmodal.ingest;

import io.xmodal.platform.streams.MetricEvents;
import io.xmodal.schemas.MetricEvent;
import io.xmodal.platform.streams.Outcome;
import io.xmodal.platform.streams.RejectionFactory;
import io.xmodal.schemas.Rejection;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Validates each raw event, drops exact re-sends (same id, same content hash), and counts what it accepted,
 * rejected and dropped. The counters live in a store (so they survive restarts) and are published as metric
 * events every interval when they changed.
 *
 * <p>Stores: {@code seen} maps id → content hash of the last accepted version; {@code counters} maps
 * accepted/rejected/duplicates/deleted → count for this task's partition. A tombstone (null value) deletes.
 */
final class IngestProcessor<V extends SpecificRecord> implements Processor<String, V, String, Outcome<V>> {

  static final List<String> COUNTERS = List.of("accepted", "rejected", "duplicates", "deleted");

  private final ValidationRules<V> rules;
  private final RejectionFactory rejections;
  private final String seenStore;
  private final String countersStore;
  private final Duration metricsInterval;
  private final Map<String, Long> published = new HashMap<>();

  private ProcessorContext<String, Outcome<V>> context;
  private KeyValueStore<String, String> seen;
  private KeyValueStore<String, Long> counters;
  private long windowStart;

  IngestProcessor(ValidationRules<V> rules, RejectionFactory rejections, String seenStore, String countersStore,
                  Duration metricsInterval) {
    this.rules = rules;
    this.rejections = rejections;
    this.seenStore = seenStore;
    this.countersStore = countersStore;
    this.metricsInterval = metricsInterval;
  }

  @Override
  public void init(ProcessorContext<String, Outcome<V>> context) {
    this.context = context;
    this.seen = context.getStateStore(seenStore);
    this.counters = context.getStateStore(countersStore);
    this.windowStart = context.currentSystemTimeMs();
    context.schedule(metricsInterval, PunctuationType.WALL_CLOCK_TIME, this::publishCounters);
  }

  @Override
  public void process(Record<String, V> record) {
    Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());
    if (record.value() == null) {
      delete(record, now);
      return;
    }
    Verdict<V> verdict = rules.validate(record.key(), record.value(), now);
    if (verdict instanceof Verdict.Refused<V> refused) {
      increment("rejected");
      context.forward(record.withValue(new Outcome.Refused<>(rejection(record, refused, now))));
      return;
    }
    Verdict.Accepted<V> accepted = (Verdict.Accepted<V>) verdict;
    if (accepted.contentHash().equals(seen.get(record.key()))) {
      increment("duplicates");
      return;
    }
    seen.put(record.key(), accepted.contentHash());
    increment("accepted");
    context.forward(record.withValue(new Outcome.Accepted<>(accepted.value())));
  }

  /**
   * A tombstone deletes the item: it is forgotten here (so sending it again later is not a duplicate) and the
   * tombstone goes on to the clean topic, from where encode-stream, the trainer and query-stream drop it too. A
   * tombstone for an id never seen is passed on all the same (deletes are idempotent). One without a key names
   * nothing and is refused.
   */
  private void delete(Record<String, V> record, Instant now) {
    if (record.key() == null || record.key().isBlank()) {
      increment("rejected");
      Verdict.Refused<V> refused = new Verdict.Refused<>(io.xmodal.schemas.RejectReason.MISSING_ID,
          "a tombstone (null value) without a key deletes nothing; key it by the " + rules.kind()
              + " id to delete");
      context.forward(record.withValue(new Outcome.Refused<>(rejection(record, refused, now))));
      return;
    }
    seen.delete(record.key());
    increment("deleted");
    context.forward(record.withValue(new Outcome.Accepted<>(null)));
  }

  private Rejection rejection(Record<String, V> record, Verdict.Refused<V> refused, Instant now) {
    RecordMetadata md = context.recordMetadata().orElse(null);
    RejectionFactory.Source source = md == null
        ? new RejectionFactory.Source("", -1, -1, record.key())
        : new RejectionFactory.Source(md.topic(), md.partition(), md.offset(), record.key());
    return rejections.create(source, refused.reason(), refused.message(), RejectionFactory.payloadOf(record.value()), now);
  }

  private void increment(String counter) {
    Long current = counters.get(counter);
    counters.put(counter, current == null ? 1L : current + 1);
  }

  private void publishCounters(long timestamp) {
    int partition = context.taskId().partition();
    for (String counter : COUNTERS) {
      Long value = counters.get(counter);
      long count = value == null ? 0 : value;
      if (Objects.equals(published.get(counter), count)) {
        continue;
      }
      published.put(counter, count);
      String name = "ingest." + rules.kind() + "." + counter;
      MetricEvent metric = MetricEvents.of(name, count, "records", Map.of("service", rejections.service(),
          "kind", rules.kind(), "partition", Integer.toString(partition), "task", context.taskId().toString()),
          windowStart, timestamp);
      context.forward(new Record<>(name, new Outcome.Metric<>(metric), timestamp));
    }
    windowStart = timestamp;
  }
}
