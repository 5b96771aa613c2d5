package io.xmodal.ingest;

import io.xmodal.platform.streams.MetricEvents;
import io.xmodal.platform.streams.Outcome;
import io.xmodal.schemas.MetricEvent;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * One task's cumulative counters, kept in a store (so they survive restarts) and published as metric events
 * {@code ingest.<kind>.<counter>}, tagged with the task's partition, when they changed since the last publication.
 */
final class TaskCounters {

  private final String kind;
  private final String service;
  private final List<String> names;
  private final KeyValueStore<String, Long> store;
  private final Map<String, Long> published = new HashMap<>();

  TaskCounters(String kind, String service, List<String> names, KeyValueStore<String, Long> store) {
    this.kind = kind;
    this.service = service;
    this.names = List.copyOf(names);
    this.store = store;
  }

  void increment(String counter) {
    Long current = store.get(counter);
    store.put(counter, current == null ? 1L : current + 1);
  }

  /**
   * Publishes the counters every {@code interval} of wall-clock time from now on, each publication's window starting
   * where the last one ended.
   */
  <V> void publishEvery(Duration interval, ProcessorContext<String, Outcome<V>> context) {
    long[] windowStart = {context.currentSystemTimeMs()};
    context.schedule(interval, PunctuationType.WALL_CLOCK_TIME, now -> {
      publish(context, windowStart[0], now);
      windowStart[0] = now;
    });
  }

  /** Forwards one metric per counter that changed since the last call, for the window {@code [windowStart, now]}. */
  private <V> void publish(ProcessorContext<String, Outcome<V>> context, long windowStart, long now) {
    int partition = context.taskId().partition();
    for (String counter : names) {
      Long value = store.get(counter);
      long count = value == null ? 0 : value;
      if (Objects.equals(published.get(counter), count)) {
        continue;
      }
      published.put(counter, count);
      String name = "ingest." + kind + "." + counter;
      MetricEvent metric = MetricEvents.of(name, count, "records", Map.of("service", service, "kind", kind,
          "partition", Integer.toString(partition), "task", context.taskId().toString()), windowStart, now);
      context.forward(new Record<>(name, new Outcome.Metric<>(metric), now));
    }
  }
}
