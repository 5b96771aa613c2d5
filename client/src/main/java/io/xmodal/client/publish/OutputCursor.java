package io.xmodal.client.publish;

import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.schemas.MetricEvent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * What the pipeline committed after a point in time (read_committed): the output topics from their ends at
 * {@link #start}, and the metrics topic from its beginning, so that cumulative per-partition counters (e.g. ingest's
 * duplicates) can be read as their increase since then.
 */
public final class OutputCursor implements AutoCloseable {

  private final TopicCatalogue topics;
  private final Set<String> counters;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Map<TopicPartition, Long> metricsBaselineEnd = new HashMap<>();
  private final Map<String, Long> baseline = new HashMap<>();
  private final Map<String, Long> latest = new HashMap<>();

  private OutputCursor(PlatformConfig config, TopicCatalogue topics, Set<String> counters) {
    this.topics = topics;
    this.counters = Set.copyOf(counters);
    this.consumer = new KafkaConsumer<>(config.consumerConfig(), new ByteArrayDeserializer(),
        new ByteArrayDeserializer());
  }

  /**
   * @param outputs  the topics whose records after now are wanted
   * @param counters the names of the cumulative counter metrics to follow (per partition, tag {@code partition})
   */
  public static OutputCursor start(PlatformConfig config, TopicCatalogue topics, List<String> outputs,
                                   Set<String> counters) {
    OutputCursor c = new OutputCursor(config, topics, counters);
    List<TopicPartition> out = c.partitions(outputs);
    List<TopicPartition> metrics = c.partitions(List.of(topics.metrics().name()));
    List<TopicPartition> all = new ArrayList<>(out);
    all.addAll(metrics);
    c.consumer.assign(all);
    Map<TopicPartition, Long> ends = c.consumer.endOffsets(all);
    out.forEach(tp -> c.consumer.seek(tp, ends.get(tp)));
    metrics.forEach(tp -> {
      c.consumer.seekToBeginning(List.of(tp));
      c.metricsBaselineEnd.put(tp, ends.get(tp));
    });
    return c;
  }

  private List<TopicPartition> partitions(List<String> names) {
    List<TopicPartition> out = new ArrayList<>();
    for (String name : names) {
      for (PartitionInfo p : consumer.partitionsFor(name, Duration.ofSeconds(30))) {
        out.add(new TopicPartition(name, p.partition()));
      }
    }
    return out;
  }

  /** Polls once: the followed counters are updated, every output record goes to {@code outputs}. */
  public void poll(Duration timeout, Consumer<ConsumerRecord<byte[], byte[]>> outputs) {
    for (ConsumerRecord<byte[], byte[]> r : consumer.poll(timeout)) {
      if (!r.topic().equals(topics.metrics().name())) {
        outputs.accept(r);
        continue;
      }
      MetricEvent m = topics.metrics().valueSerde().deserializer().deserialize(r.topic(), r.value());
      if (m == null || !counters.contains(m.getName())) {
        continue;
      }
      String key = m.getName() + "/" + m.getTags().get("partition");
      if (r.offset() < metricsBaselineEnd.getOrDefault(new TopicPartition(r.topic(), r.partition()), 0L)) {
        baseline.put(key, (long) m.getValue());
      }
      latest.put(key, (long) m.getValue());
    }
  }

  /** How much the counter {@code name} grew since {@link #start}, summed over partitions. */
  public long increase(String name) {
    long sum = 0;
    for (Map.Entry<String, Long> e : latest.entrySet()) {
      if (e.getKey().startsWith(name + "/")) {
        sum += e.getValue() - baseline.getOrDefault(e.getKey(), 0L);
      }
    }
    return sum;
  }

  @Override
  public void close() {
    consumer.close();
  }
}
