package io.xmodal.ingest;

import io.xmodal.platform.streams.MetricEvents;
import io.xmodal.schemas.MetricEvent;
import io.xmodal.schemas.Rejection;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Counts every dead letter on {@code xmodal.rejected}, whoever wrote it (a processor refusing content, or a
 * deserialization, processing or production handler of any service), by (service, source topic, reason), and
 * publishes each count as the metric {@code dlq.records} every interval when it changed. The counts live in a store,
 * so they survive restarts and, under exactly-once, count each committed dead letter once.
 */
final class DeadLetterCounter implements Processor<String, Rejection, String, MetricEvent> {

  static final String METRIC = "dlq.records";
  private static final String SEPARATOR = "\u0000";

  private final String storeName;
  private final String service;
  private final Duration interval;
  private final Map<String, Long> published = new HashMap<>();
  private ProcessorContext<String, MetricEvent> context;
  private KeyValueStore<String, Long> counts;
  private long windowStart;

  DeadLetterCounter(String storeName, String service, Duration interval) {
    this.storeName = storeName;
    this.service = service;
    this.interval = interval;
  }

  @Override
  public void init(ProcessorContext<String, MetricEvent> context) {
    this.context = context;
    this.counts = context.getStateStore(storeName);
    this.windowStart = context.currentSystemTimeMs();
    context.schedule(interval, PunctuationType.WALL_CLOCK_TIME, this::publish);
  }

  @Override
  public void process(Record<String, Rejection> record) {
    Rejection r = record.value();
    if (r == null) {
      return;
    }
    String key = String.join(SEPARATOR, r.getService(), r.getSourceTopic(), r.getReason().name());
    Long current = counts.get(key);
    counts.put(key, current == null ? 1L : current + 1);
  }

  private void publish(long timestamp) {
    String partition = Integer.toString(context.taskId().partition());
    try (KeyValueIterator<String, Long> all = counts.all()) {
      while (all.hasNext()) {
        KeyValue<String, Long> kv = all.next();
        if (kv.value.equals(published.get(kv.key))) {
          continue;
        }
        published.put(kv.key, kv.value);
        String[] parts = kv.key.split(SEPARATOR, -1);
        MetricEvent metric = MetricEvents.of(METRIC, kv.value, "records", Map.of("service", service,
            "rejected_by", parts[0], "source_topic", parts[1], "reason", parts[2], "partition", partition),
            windowStart, timestamp);
        context.forward(new Record<>(METRIC, metric, timestamp));
      }
    }
    windowStart = timestamp;
  }
}
