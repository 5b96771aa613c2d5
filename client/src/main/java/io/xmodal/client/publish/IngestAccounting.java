package io.xmodal.client.publish;

import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.schemas.RejectReason;
import io.xmodal.schemas.Rejection;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * Follows what the ingest pipeline made of the records published after {@link #start}: accepted on the clean topics,
 * refused on the dead-letter topic (by reason), and dropped as duplicates (from the ingest counters on the metrics
 * topic). Reads committed records only, so it sees exactly what exactly-once processing committed.
 */
public final class IngestAccounting implements AutoCloseable {

  /** Ingest's cumulative duplicate counters (per partition), the only trace an exact re-send leaves. */
  public static final String IMAGE_DUPLICATES = "ingest.images.duplicates";
  public static final String CAPTION_DUPLICATES = "ingest.captions.duplicates";

  private final TopicCatalogue topics;
  private final OutputCursor cursor;
  private final Map<RejectReason, Integer> rejected = new EnumMap<>(RejectReason.class);
  private final List<Rejection> rejections = new ArrayList<>();
  private int images;
  private int captions;

  private IngestAccounting(TopicCatalogue topics, OutputCursor cursor) {
    this.topics = topics;
    this.cursor = cursor;
  }

  /** Marks "now": only records after this point are counted (the metrics topic is read whole for baselines). */
  public static IngestAccounting start(PlatformConfig config, TopicCatalogue topics) {
    return new IngestAccounting(topics, OutputCursor.start(config, topics, List.of(topics.images().name(),
        topics.captions().name(), topics.rejected().name()), Set.of(IMAGE_DUPLICATES, CAPTION_DUPLICATES)));
  }

  /** Polls until {@code expected} records are accounted for, or the timeout passes; returns the summary. */
  public Summary awaitAccounted(long expected, Duration timeout, PrintStream progressOut) {
    Progress progress = new Progress("ingest pipeline", expected, progressOut);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (summary().total() < expected && System.nanoTime() < deadline) {
      cursor.poll(Duration.ofMillis(250), this::count);
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
    }
  }

  public Summary summary() {
    long dup = cursor.increase(IMAGE_DUPLICATES) + cursor.increase(CAPTION_DUPLICATES);
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
    cursor.close();
  }
}
