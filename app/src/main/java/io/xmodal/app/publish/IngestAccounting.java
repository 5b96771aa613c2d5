package io.xmodal.app.publish;

import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.schemas.MetricEvent;
import io.xmodal.schemas.RejectReason;
import io.xmodal.schemas.Rejection;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Follows what the ingest pipeline made of the records published after {@link #start}: accepted on the clean topics,
 * refused on the dead-letter topic (by reason), and dropped as duplicates (from the ingest counters on the metrics
 * topic). Reads committed records only, so it sees exactly what exactly-once processing committed.
 */
public final class IngestAccounting implements AutoCloseable {

  private final TopicCatalogue topics;
  private final KafkaConsumer<byte[], byte[]> consumer;
  private final Map<TopicPartition, Long> metricsBaselineEnd = new HashMap<>();
  private final Map<String, Long> baselineCounters = new HashMap<>();
  private final Map<String, Long> latestCounters = new HashMap<>();
  private final Map<RejectReason, Integer> rejected = new EnumMap<>(RejectReason.class);
  private final List<Rejection> rejections = new ArrayList<>();
  private int images;
  private int captions;

  private IngestAccounting(PlatformConfig config, TopicCatalogue topics) {
    this.topics = topics;
    this.consumer = new KafkaConsumer<>(config.consumerConfig(), new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  /** Marks "now": only records after this point are counted (the metrics topic is read whole for baselines). */
  public static IngestAccounting start(PlatformConfig config, TopicCatalogue topics) {
    IngestAccounting a = new IngestAccounting(config, topics);
    List<TopicPartition> outputs = a.partitions(topics.images().name(), topics.captions().name(),
        topics.rejected().name());
    List<TopicPartition> metrics = a.partitions(topics.metrics().name());
    List<TopicPartition> all = new ArrayList<>(outputs);
    all.addAll(metrics);
    a.consumer.assign(all);
    Map<TopicPartition, Long> ends = a.consumer.endOffsets(all);
    outputs.forEach(tp -> a.consumer.seek(tp, ends.get(tp)));
    metrics.forEach(tp -> {
      a.consumer.seekToBeginning(List.of(tp));
      a.metricsBaselineEnd.put(tp, ends.get(tp));
    });
    return a;
  }

  private List<TopicPartition> partitions(String... names) {
    List<TopicPartition> out = new ArrayList<>();
    for (String name : names) {
      for (PartitionInfo p : consumer.partitionsFor(name, Duration.ofSeconds(30))) {
        out.add(new TopicPartition(name, p.partition()));
      }
    }
    return out;
  }

  /** Polls until {@code expected} records are accounted for, or the timeout passes; returns the summary. */
  public Summary awaitAccounted(long expected, Duration timeout, PrintStream progressOut) {
    Progress progress = new Progress("ingest pipeline", expected, progressOut);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (summary().total() < expected && System.nanoTime() < deadline) {
      for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(250))) {
        count(r);
      }
      progress.set(summary().total());
    }
    progress.finish();
    return summary();
  }

  private void count(ConsumerRecord<byte[], byte[]> r) {
    String topic = r.topic();
    if (topic.equals(topics.images().name())) {
      images++;
    } else if (topic.equals(topics.captions().name())) {
      captions++;
    } else if (topic.equals(topics.rejected().name())) {
      Rejection rejection = topics.rejected().valueSerde().deserializer().deserialize(topic, r.value());
      rejections.add(rejection);
      rejected.merge(rejection.getReason(), 1, Integer::sum);
    } else if (topic.equals(topics.metrics().name())) {
      MetricEvent m = topics.metrics().valueSerde().deserializer().deserialize(topic, r.value());
      if (m.getName().startsWith("ingest.") && m.getName().endsWith(".duplicates")) {
        String key = m.getName() + "/" + m.getTags().get("partition");
        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
        if (r.offset() < metricsBaselineEnd.getOrDefault(tp, 0L)) {
          baselineCounters.put(key, (long) m.getValue());
        }
        latestCounters.put(key, (long) m.getValue());
      }
    }
  }

  public Summary summary() {
    long dup = 0;
    for (Map.Entry<String, Long> e : latestCounters.entrySet()) {
      dup += e.getValue() - baselineCounters.getOrDefault(e.getKey(), 0L);
    }
    return new Summary(images, captions, Map.copyOf(rejected), dup, List.copyOf(rejections));
  }

  /** Counts since {@link #start}. */
  public record Summary(int images, int captions, Map<RejectReason, Integer> rejectedByReason, long duplicates,
                        List<Rejection> rejections) {
    public int rejected() {
      return rejectedByReason.values().stream().mapToInt(Integer::intValue).sum();
    }

    public long total() {
      return images + captions + rejected() + duplicates;
    }
  }

  @Override
  public void close() {
    consumer.close();
  }
}
