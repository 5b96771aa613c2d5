package io.xmodal.ingest;

import io.xmodal.platform.streams.Outcome;
import io.xmodal.platform.streams.OutcomeRoutes;
import io.xmodal.platform.streams.RejectionFactory;
import io.xmodal.platform.topics.IdPartitioner;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.platform.topics.TopicSpec;
import io.xmodal.schemas.MetricEvent;
import io.xmodal.schemas.Rejection;
import java.util.Map;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The ingest topology, per kind (images, captions):
 * <pre>
 *   xmodal.&lt;kind&gt;.raw ─ &lt;kind&gt;-validate ─┬─ refused ─&gt; xmodal.rejected   (source topic, partition, offset as written)
 *                                       ├─ metrics ─&gt; xmodal.metrics    (ingest.&lt;kind&gt;.rejected per raw partition)
 *                                       └─ valid, tombstones ─ &lt;kind&gt;-by-id (repartition by id, {@link IdPartitioner})
 *      ─ &lt;kind&gt;-dedup ─┬─ accepted ─&gt; xmodal.&lt;kind&gt;
 *                       └─ metrics  ─&gt; xmodal.metrics (accepted, duplicates, deleted per partition of the id)
 * </pre>
 * The dedup and delete state is keyed by id, so it sits after a repartition through xmodal's own partitioner: a
 * producer's partitioner decides only where a record is validated, never which task remembers the id (librdkafka
 * clients hash keys with CRC32, Java ones with murmur2: the same id arrives on different raw partitions). Records
 * that cannot be deserialised never reach it: the deserialization handler dead-letters them. A tombstone deletes: it
 * is passed on to the clean topic. And every dead letter of every service is counted by reason:
 * <pre>
 *   xmodal.rejected ─ deadletters-count ─&gt; xmodal.metrics (dlq.records per service, source topic, reason)
 * </pre>
 */
public final class IngestTopology {

  private IngestTopology() {}

  public static Topology buildTopology(IngestConfig config, TopicCatalogue topics) {
    StreamsBuilder builder = new StreamsBuilder();
    RejectionFactory rejections = new RejectionFactory(config.applicationId(), config.dlqPayloadCap());
    route(builder, topics, topics.imagesRaw(), topics.images(), ImageRules.from(config), rejections, config);
    route(builder, topics, topics.captionsRaw(), topics.captions(), CaptionRules.from(config), rejections, config);
    builder.stream(topics.rejected().name(), topics.rejected().consumed("deadletters-source"))
        .process(new CounterSupplier(config), Named.as("deadletters-count"))
        .to(topics.metrics().name(), topics.metrics().produced("deadletters-metrics-sink"));
    return builder.build();
  }

  /** Store names, fixed: they name changelog topics, so renaming one loses its state. */
  static String seenStore(String kind) {
    return "ingest-" + kind + "-seen";
  }

  static String countersStore(String kind) {
    return "ingest-" + kind + "-counters";
  }

  static String validateCountersStore(String kind) {
    return "ingest-" + kind + "-validate-counters";
  }

  static final String DEAD_LETTER_COUNTS = "ingest-deadletter-counts";

  private record CounterSupplier(IngestConfig config)
      implements ProcessorSupplier<String, Rejection, String, MetricEvent> {

    @Override
    public Processor<String, Rejection, String, MetricEvent> get() {
      return new DeadLetterCounter(DEAD_LETTER_COUNTS, config.applicationId(), config.metricsInterval());
    }

    @Override
    public Set<StoreBuilder<?>> stores() {
      return Set.of(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(DEAD_LETTER_COUNTS),
          Serdes.String(), Serdes.Long()));
    }
  }

  private static <V extends SpecificRecord> void route(StreamsBuilder builder, TopicCatalogue topics,
                                                       TopicSpec<String, V> raw, TopicSpec<String, V> clean,
                                                       ValidationRules<V> rules, RejectionFactory rejections,
                                                       IngestConfig config) {
    String kind = rules.kind();
    Map<String, KStream<String, Outcome<V>>> checked = builder
        .stream(raw.name(), raw.consumed(kind + "-raw-source"))
        .process(new ValidateSupplier<>(rules, rejections, config), Named.as(kind + "-validate"))
        .split(Named.as(kind + "-validate-"))
        .branch((key, outcome) -> outcome instanceof Outcome.Accepted, Branched.as("valid"))
        .branch((key, outcome) -> outcome instanceof Outcome.Refused, Branched.as("refused"))
        .defaultBranch(Branched.as("metrics"));
    checked.get(kind + "-validate-refused")
        .mapValues(outcome -> ((Outcome.Refused<V>) outcome).rejection(), Named.as(kind + "-validate-refused-value"))
        .to(topics.rejected().name(), topics.rejected().produced(kind + "-validate-rejected-sink"));
    checked.get(kind + "-validate-metrics")
        .mapValues(outcome -> ((Outcome.Metric<V>) outcome).metric(), Named.as(kind + "-validate-metrics-value"))
        .to(topics.metrics().name(), topics.metrics().produced(kind + "-validate-metrics-sink"));

    KStream<String, Outcome<V>> deduplicated = checked.get(kind + "-validate-valid")
        .mapValues(outcome -> ((Outcome.Accepted<V>) outcome).value(), Named.as(kind + "-validate-valid-value"))
        .repartition(Repartitioned.<String, V>as(byIdTopic(kind))
            .withKeySerde(raw.keySerde())
            .withValueSerde(clean.valueSerde())
            .withStreamPartitioner(new IdPartitioner<>()))
        .process(new DedupSupplier<>(rules, rejections.service(), config), Named.as(kind + "-dedup"));
    OutcomeRoutes.route(deduplicated, kind, clean, topics);
  }

  /**
   * The repartition by id (its topic is {@code <application.id>-<kind>-by-id-repartition}, as many partitions as the
   * raw topic). Fixed: renaming it strands the records in flight in the old one.
   */
  static String byIdTopic(String kind) {
    return kind + "-by-id";
  }

  /** Supplies one validator per task, and declares its counters store. */
  private record ValidateSupplier<V extends SpecificRecord>(ValidationRules<V> rules, RejectionFactory rejections,
                                                            IngestConfig config)
      implements ProcessorSupplier<String, V, String, Outcome<V>> {

    @Override
    public Processor<String, V, String, Outcome<V>> get() {
      return new IngestValidator<>(rules, rejections, validateCountersStore(rules.kind()), config.metricsInterval());
    }

    @Override
    public Set<StoreBuilder<?>> stores() {
      return Set.of(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(validateCountersStore(rules.kind())),
          Serdes.String(), Serdes.Long()));
    }
  }

  /** Supplies one deduplicator per task, and declares its two stores. */
  private record DedupSupplier<V extends SpecificRecord>(ValidationRules<V> rules, String service,
                                                         IngestConfig config)
      implements ProcessorSupplier<String, V, String, Outcome<V>> {

    @Override
    public Processor<String, V, String, Outcome<V>> get() {
      return new IngestDeduplicator<>(rules, service, seenStore(rules.kind()), countersStore(rules.kind()),
          config.metricsInterval());
    }

    @Override
    public Set<StoreBuilder<?>> stores() {
      StoreBuilder<KeyValueStore<String, String>> seen = Stores.keyValueStoreBuilder(
          Stores.persistentKeyValueStore(seenStore(rules.kind())), Serdes.String(), Serdes.String());
      StoreBuilder<KeyValueStore<String, Long>> counters = Stores.keyValueStoreBuilder(
          Stores.persistentKeyValueStore(countersStore(rules.kind())), Serdes.String(), Serdes.Long());
      return Set.of(seen, counters);
    }
  }
}
