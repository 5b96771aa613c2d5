package io.xmodal.tools.fuzz;

import io.xmodal.client.publish.IngestAccounting;
import io.xmodal.client.publish.OutputCursor;
import io.xmodal.client.publish.Progress;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.schemas.RejectReason;
import io.xmodal.schemas.Rejection;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Publishes fuzz inputs and reconciles every one of them, by its source offset, against what the pipeline committed
 * (read_committed): a dead letter naming that offset, a record (or a tombstone) for its key on the clean topic, or —
 * for an input that left no trace — the ingest duplicate counters. An input none of these account for is lost.
 */
public final class FuzzReconciler implements AutoCloseable {

  /** Where an input ended up. */
  public enum Outcome { CLEAN, DUPLICATE, DELETE, DEAD_LETTER, LOST }

  /** The reconciliation of one input. */
  public record Resolved(FuzzInputs.Input input, Outcome outcome, RejectReason reason) {
    public boolean asExpected() {
      FuzzKind k = input.kind();
      return switch (k.expect()) {
        case CLEAN -> outcome == Outcome.CLEAN;
        case DUPLICATE -> outcome == Outcome.DUPLICATE;
        case DELETE -> outcome == Outcome.DELETE;
        case DEAD_LETTER -> outcome == Outcome.DEAD_LETTER && reason == k.reason();
      };
    }
  }

  /** Everything a run found. */
  public record Report(List<Resolved> inputs, Map<RejectReason, Integer> otherDeadLetters) {
    public long lost() {
      return inputs.stream().filter(r -> r.outcome() == Outcome.LOST).count();
    }

    public long accounted() {
      return inputs.size() - lost();
    }

    public long unexpected() {
      return inputs.stream().filter(r -> r.outcome() != Outcome.LOST && !r.asExpected()).count();
    }
  }

  private record Offset(String topic, int partition, long offset) {}

  private final PlatformConfig config;
  private final TopicCatalogue topics;
  private final OutputCursor cursor;
  private final Map<Offset, Rejection> deadLetters = new HashMap<>();
  private final List<Rejection> otherDeadLetters = new ArrayList<>();
  /** (clean topic, key) → present (true) or tombstone (false), in commit order. */
  private final Map<String, List<Boolean>> clean = new HashMap<>();
  private final Map<Offset, FuzzInputs.Input> sent = new LinkedHashMap<>();

  private FuzzReconciler(PlatformConfig config, TopicCatalogue topics, OutputCursor cursor) {
    this.config = config;
    this.topics = topics;
    this.cursor = cursor;
  }

  /** Marks "now": outputs before this point are ignored; the metrics topic is read whole for the counters' baselines. */
  public static FuzzReconciler start(PlatformConfig config, TopicCatalogue topics) {
    return new FuzzReconciler(config, topics, OutputCursor.start(config, topics, List.of(topics.images().name(),
        topics.captions().name(), topics.rejected().name()), Set.of(IngestAccounting.IMAGE_DUPLICATES, IngestAccounting.CAPTION_DUPLICATES)));
  }

  /** Publishes every input with an idempotent producer (acks=all) and notes where each landed. */
  public void publish(List<FuzzInputs.Input> inputs, PrintStream out) {
    Map<String, Object> props = new HashMap<>(config.producerConfig());
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "xmodal-fuzz");
    Progress progress = new Progress("publishing", inputs.size(), out);
    List<Future<RecordMetadata>> futures = new ArrayList<>();
    try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(props, new StringSerializer(),
        new ByteArraySerializer())) {
      for (FuzzInputs.Input input : inputs) {
        futures.add(producer.send(new ProducerRecord<>(input.topic(), input.key(), input.value())));
      }
      producer.flush();
      for (int i = 0; i < inputs.size(); i++) {
        RecordMetadata md = futures.get(i).get();
        sent.put(new Offset(md.topic(), md.partition(), md.offset()), inputs.get(i));
        progress.advance(1);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while publishing", e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("the broker refused a fuzz record: " + e.getCause().getMessage(), e);
    }
    progress.finish();
  }

  /** Reads the outputs until every input is accounted for or the timeout passes, then reconciles. */
  public Report await(Duration timeout, PrintStream out) {
    Progress progress = new Progress("reconciling", sent.size(), out);
    long deadline = System.nanoTime() + timeout.toNanos();
    long settledAt = -1;
    while (System.nanoTime() < deadline) {
      cursor.poll(Duration.ofMillis(250), this::observe);
      Report report = reconcile();
      progress.set(report.accounted());
      if (report.lost() == 0) {
        // everything is accounted for; read a little longer so a late, wrong extra output is seen too
        if (settledAt < 0) {
          settledAt = System.nanoTime();
        } else if (System.nanoTime() - settledAt > 2_000_000_000L) {
          break;
        }
      } else {
        settledAt = -1;
      }
    }
    progress.finish();
    return reconcile();
  }

  private void observe(ConsumerRecord<byte[], byte[]> r) {
    String topic = r.topic();
    if (topic.equals(topics.rejected().name())) {
      Rejection rejection = topics.rejected().valueSerde().deserializer().deserialize(topic, r.value());
      Offset source = new Offset(rejection.getSourceTopic(), rejection.getSourcePartition(),
          rejection.getSourceOffset());
      if (sent.containsKey(source)) {
        deadLetters.putIfAbsent(source, rejection);
      } else {
        otherDeadLetters.add(rejection);
      }
    } else if (r.key() != null) {
      clean.computeIfAbsent(topic + "\u0000" + new String(r.key(), StandardCharsets.UTF_8),
          k -> new ArrayList<>()).add(r.value() != null);
    }
  }

  /**
   * Dead letters resolve their input by offset. The rest, per (raw topic, key) in publish order, take the clean
   * topic's records for that key in order: a tombstone input takes a tombstone, any other input a record; an input
   * left without one is a duplicate while the ingest duplicate counter of its kind covers it, else lost.
   */
  private Report reconcile() {
    Map<String, Long> duplicatesLeft = new HashMap<>();
    duplicatesLeft.put(topics.imagesRaw().name(), cursor.increase(IngestAccounting.IMAGE_DUPLICATES));
    duplicatesLeft.put(topics.captionsRaw().name(), cursor.increase(IngestAccounting.CAPTION_DUPLICATES));
    Map<String, Integer> cursor = new HashMap<>();
    List<Resolved> out = new ArrayList<>(sent.size());
    for (Map.Entry<Offset, FuzzInputs.Input> e : sent.entrySet()) {
      FuzzInputs.Input input = e.getValue();
      Rejection dl = deadLetters.get(e.getKey());
      if (dl != null) {
        out.add(new Resolved(input, Outcome.DEAD_LETTER, dl.getReason()));
        continue;
      }
      String cleanTopic = input.topic().equals(topics.imagesRaw().name()) ? topics.images().name()
          : input.topic().equals(topics.captionsRaw().name()) ? topics.captions().name() : null;
      if (cleanTopic == null || input.key() == null) {
        out.add(new Resolved(input, Outcome.LOST, null));
        continue;
      }
      String k = cleanTopic + "\u0000" + input.key();
      List<Boolean> outputs = clean.getOrDefault(k, List.of());
      int at = cursor.getOrDefault(k, 0);
      boolean tombstone = input.value() == null;
      if (at < outputs.size() && outputs.get(at) == !tombstone) {
        cursor.put(k, at + 1);
        out.add(new Resolved(input, tombstone ? Outcome.DELETE : Outcome.CLEAN, null));
      } else if (!tombstone && duplicatesLeft.get(input.topic()) > 0) {
        duplicatesLeft.merge(input.topic(), -1L, Long::sum);
        out.add(new Resolved(input, Outcome.DUPLICATE, null));
      } else {
        out.add(new Resolved(input, Outcome.LOST, null));
      }
    }
    Map<RejectReason, Integer> others = new EnumMap<>(RejectReason.class);
    otherDeadLetters.forEach(r -> others.merge(r.getReason(), 1, Integer::sum));
    return new Report(out, others);
  }

  /** One row per kind: sent, as expected, otherwise (with what happened instead), lost. */
  public static void printTable(Report report, PrintStream out) {
    Map<FuzzKind, List<Resolved>> byKind = new TreeMap<>();
    report.inputs().forEach(r -> byKind.computeIfAbsent(r.input().kind(), k -> new ArrayList<>()).add(r));
    out.printf("%-26s %6s  %-34s %8s %6s %5s%n", "kind", "sent", "expected", "as-exp.", "other", "lost");
    for (Map.Entry<FuzzKind, List<Resolved>> e : byKind.entrySet()) {
      List<Resolved> rows = e.getValue();
      long ok = rows.stream().filter(Resolved::asExpected).count();
      long lost = rows.stream().filter(r -> r.outcome() == Outcome.LOST).count();
      long other = rows.size() - ok - lost;
      out.printf("%-26s %6d  %-34s %8d %6d %5d%n", e.getKey().name().toLowerCase(Locale.ROOT), rows.size(),
          e.getKey().expectation(), ok, other, lost);
      rows.stream().filter(r -> r.outcome() != Outcome.LOST && !r.asExpected()).limit(3).forEach(r -> out.printf(
          "    input %d (key %s) became %s%s%n", r.input().index(), r.input().key(), r.outcome(),
          r.reason() == null ? "" : " " + r.reason()));
    }
    if (!report.otherDeadLetters().isEmpty()) {
      out.println("dead letters not naming a fuzz input (e.g. items that failed to encode later): "
          + report.otherDeadLetters());
    }
  }

  @Override
  public void close() {
    cursor.close();
  }
}
