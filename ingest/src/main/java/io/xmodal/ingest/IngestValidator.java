package io.xmodal.ingest;

import io.xmodal.platform.streams.Outcome;
import io.xmodal.platform.streams.RejectionFactory;
import io.xmodal.schemas.RejectReason;
import io.xmodal.schemas.Rejection;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;

/**
 * The first, stateless step of ingest, on the raw topic's partitions (whatever partitioner the producer used):
 * validates each event and refuses the bad ones with the coordinates the producer wrote them at. A valid event goes on
 * enriched (content hash, format, time), and a tombstone with a key as it is, to the repartition by id where
 * {@link IngestDeduplicator} keeps the per-id state. Counts what it refused ({@code ingest.<kind>.rejected}) in a
 * store, per raw partition.
 */
final class IngestValidator<V extends SpecificRecord> implements Processor<String, V, String, Outcome<V>> {

  static final List<String> COUNTERS = List.of("rejected");

  private final ValidationRules<V> rules;
  private final RejectionFactory rejections;
  private final String countersStore;
  private final Duration metricsInterval;

  private ProcessorContext<String, Outcome<V>> context;
  private TaskCounters counters;

  IngestValidator(ValidationRules<V> rules, RejectionFactory rejections, String countersStore,
                  Duration metricsInterval) {
    this.rules = rules;
    this.rejections = rejections;
    this.countersStore = countersStore;
    this.metricsInterval = metricsInterval;
  }

  @Override
  public void init(ProcessorContext<String, Outcome<V>> context) {
    this.context = context;
    this.counters = new TaskCounters(rules.kind(), rejections.service(), COUNTERS, context.getStateStore(countersStore));
    counters.publishEvery(metricsInterval, context);
  }

  @Override
  public void process(Record<String, V> record) {
    Instant now = Instant.ofEpochMilli(context.currentSystemTimeMs());
    if (record.value() == null) {
      if (record.key() == null || record.key().isBlank()) {
        refuse(record, new Verdict.Refused<>(RejectReason.MISSING_ID,
            "a tombstone (null value) without a key deletes nothing; key it by the " + rules.kind()
                + " id to delete"), now);
        return;
      }
      context.forward(record.withValue(new Outcome.Accepted<>(null)));
      return;
    }
    Verdict<V> verdict = rules.validate(record.key(), record.value(), now);
    if (verdict instanceof Verdict.Refused<V> refused) {
      refuse(record, refused, now);
      return;
    }
    context.forward(record.withValue(new Outcome.Accepted<>(((Verdict.Accepted<V>) verdict).value())));
  }

  private void refuse(Record<String, V> record, Verdict.Refused<V> refused, Instant now) {
    counters.increment("rejected");
    RecordMetadata md = context.recordMetadata().orElse(null);
    RejectionFactory.Source source = md == null
        ? new RejectionFactory.Source("", -1, -1, record.key())
        : new RejectionFactory.Source(md.topic(), md.partition(), md.offset(), record.key());
    Rejection rejection = rejections.create(source, refused.reason(), refused.message(),
        RejectionFactory.payloadOf(record.value()), now);
    context.forward(record.withValue(new Outcome.Refused<>(rejection)));
  }
}
