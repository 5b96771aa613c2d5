package io.xmodal.client.metrics;

import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.schemas.MetricEvent;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * The latest value of every metric series on {@code xmodal.metrics} ({@code xmodal metrics}): a series is a metric
 * name with its tags, partition and task tags summed (counts, rates) or averaged (the rest) away. Reads committed
 * records only, from {@code since} ago; {@link #poll} takes what arrived, {@link #render} draws the table.
 */
public final class MetricsView implements AutoCloseable {

  private final KafkaConsumer<String, MetricEvent> consumer;
  private final String filter;
  private final boolean candidates;
  /** Latest event per (series, partition/task). */
  private final Map<String, MetricEvent> latest = new HashMap<>();

  /**
   * @param filter     only metrics whose name starts with this (null: all)
   * @param candidates also every mapping candidate's held-out recall, not only the published versions'
   */
  public MetricsView(PlatformConfig config, TopicCatalogue topics, Duration since, String filter, boolean candidates) {
    this.filter = filter;
    this.candidates = candidates;
    this.consumer = new KafkaConsumer<>(config.consumerConfig(), new StringDeserializer(),
        topics.metrics().valueSerde().deserializer());
    try {
      List<TopicPartition> parts = consumer.partitionsFor(topics.metrics().name(), Duration.ofSeconds(30)).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      consumer.assign(parts);
      long from = Instant.now().minus(since).toEpochMilli();
      Map<TopicPartition, OffsetAndTimestamp> starts = consumer.offsetsForTimes(
          parts.stream().collect(Collectors.toMap(p -> p, p -> from)));
      for (TopicPartition p : parts) {
        OffsetAndTimestamp o = starts.get(p);
        if (o == null) {
          consumer.seekToEnd(List.of(p));
        } else {
          consumer.seek(p, o.offset());
        }
      }
    } catch (RuntimeException e) {
      consumer.close();
      throw e;
    }
  }

  /** Reads up to where the topic ended when called. */
  public void catchUp() {
    Map<TopicPartition, Long> end = consumer.endOffsets(consumer.assignment());
    while (end.keySet().stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
      poll(Duration.ofMillis(300));
    }
  }

  /** Takes what arrives within {@code wait}. */
  public void poll(Duration wait) {
    consumer.poll(wait).forEach(r -> take(r.value()));
  }

  void take(MetricEvent m) {
    if (m == null || (filter != null && !m.getName().startsWith(filter))) {
      return;
    }
    if (!candidates && m.getName().startsWith("mapping.heldout.") && !"true".equals(m.getTags().get("promoted"))) {
      return;
    }
    latest.put(m.getName() + seriesTags(m) + "|" + m.getTags().getOrDefault("partition", "")
        + m.getTags().getOrDefault("task", ""), m);
  }

  private static String seriesTags(MetricEvent m) {
    return new TreeMap<>(m.getTags()).entrySet().stream()
        .filter(e -> !e.getKey().equals("partition") && !e.getKey().equals("task") && !e.getKey().equals("service"))
        .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(",", "{", "}"));
  }

  /** The table, one line per series, after a clear-screen sequence if {@code clear}. */
  public String render(boolean clear) {
    Map<String, double[]> series = new TreeMap<>();
    Map<String, MetricEvent> sample = new HashMap<>();
    for (MetricEvent m : latest.values()) {
      String key = m.getName() + " " + seriesTags(m);
      double[] agg = series.computeIfAbsent(key, k -> new double[3]);
      agg[0] += m.getValue();
      agg[1]++;
      agg[2] = Math.max(agg[2], m.getTime().toEpochMilli());
      sample.put(key, m);
    }
    StringBuilder sb = new StringBuilder();
    if (clear) {
      sb.append("\033[H\033[2J");
    }
    sb.append(String.format("xmodal metrics at %s (%d series)%n", Instant.now().toString().substring(11, 19),
        series.size()));
    sb.append(String.format("%-34s %-46s %14s %-10s %6s%n", "metric", "tags", "value", "unit", "age s"));
    long now = System.currentTimeMillis();
    series.forEach((key, agg) -> {
      MetricEvent m = sample.get(key);
      boolean additive = m.getUnit().equals("records") || m.getUnit().equals("queries") || m.getUnit().equals("items")
          && !m.getName().startsWith("gallery.") || m.getUnit().equals("queries/s") || m.getUnit().equals("pairs");
      double value = additive ? agg[0] : agg[0] / agg[1];
      String tags = seriesTags(m);
      sb.append(String.format("%-34s %-46s %14.2f %-10s %6.0f%n", m.getName(),
          tags.length() > 46 ? tags.substring(0, 43) + "..." : tags, value, m.getUnit(), (now - agg[2]) / 1000.0));
    });
    return sb.toString();
  }

  @Override
  public void close() {
    consumer.close();
  }
}
