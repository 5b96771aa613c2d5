package io.xmodal.ingest;

import io.xmodal.platform.streams.Outcome;
import io.xmodal.platform.streams.OutcomeRoutes;
import io.xmodal.platform.streams.RejectionFactory;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.platform.topics.TopicSpec;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The ingest topology, per kind (images, captions):
 * <pre>
 *   xmodal.&lt;kind&gt;.raw ─ &lt;kind&gt;-validate-dedup ─┬─ accepted ─&gt; xmodal.&lt;kind&gt;
 *                                              ├─ refused  ─&gt; xmodal.rejected
 *                                              └─ metrics  ─&gt; xmodal.metrics
 * </pre>
 * Records that cannot be deserialised never reach it: the deserialization handler dead-letters them. A tombstone
 * deletes: it is passed on to the clean topic. And every dead letter of every service is counted by reason:
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

  static final String DEAD_LETTER_COUNTS = "ingest-deadletter-counts";

  private record CounterSupplier(IngestConfig config)
      implements ProcessorSupplier<String, io.xmodal.schemas.Rejection, String, io.xmodal.schemas.MetricEvent> {

    @Override
    public Processor<String, io.xmodal.schemas.Rejection, String, io.xmodal.schemas.MetricEvent> get() {
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
    KStream<String, Outcome<V>> outcomes = builder
        .stream(raw.name(), raw.consumed(kind + "-raw-source"))
        .process(new Supplier<>(rules, rejections, config), Named.as(kind + "-validate-dedup"));

    OutcomeRoutes.route(outcomes, kind, clean, topics);
  }

  /** Supplies one processor per task, and declares its two stores. */
  private record Supplier<V extends SpecificRecord>(ValidationRules<V> rules, RejectionFactory rejections,
                                                    IngestConfig config)
      implements ProcessorSupplier<String, V, String, Outcome<V>> {

    @Override
    public Processor<String, V, String, Outcome<V>> get() {
      return new IngestProcessor<>(rules, rejections, seenStore(rules.kind()), countersStore(rules.kind()),
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
