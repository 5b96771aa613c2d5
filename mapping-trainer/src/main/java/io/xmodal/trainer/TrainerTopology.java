package io.xmodal.trainer;

import io.xmodal.platform.streams.LatestMappingUpdater;
import io.xmodal.platform.streams.Outcome;
import io.xmodal.platform.streams.OutcomeRoutes;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.schemas.Embedding;
import io.xmodal.schemas.MappingModel;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.function.Supplier;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The mapping-trainer topology:
 * <pre>
 *   xmodal.embeddings.text ─ trainer-text-by-owner ─ trainer-text-by-image (repartition by imageId) ─┐
 *   xmodal.embeddings.image ───────────────────────────────────────────────────────── merge ─ trainer-pair-join
 *     ─ trainer-pairs (repartition to 1 partition: the fit needs every pair) ─ trainer-fit ─┬─&gt; xmodal.mappings
 *                                                                                         ├─&gt; xmodal.metrics
 *   xmodal.mappings ─&gt; global store trainer-live-mappings (the live version, rollbacks included) └─&gt; xmodal.rejected
 * </pre>
 * Tombstones delete: an image's removes its pairs, a caption's its pair (trainer-text-by-owner remembers which
 * image a caption belongs to, since a tombstone does not say), and the fit subtracts them from its statistics.
 * The fits run on an executor from {@code fitExecutors}: the fit processor asks for one when its task initialises and
 * shuts it down when the task closes (a supplier, not an executor, because Kafka Streams builds processors it never
 * initialises or closes, e.g. to check that the supplier returns a new one each time); tests pass a direct one.
 */
public final class TrainerTopology {

  static final String JOIN_IMAGES = "trainer-join-images";
  static final String JOIN_CAPTIONS = "trainer-join-captions";
  static final String PAIRS = "trainer-pairs";
  static final String STATE = "trainer-state";
  static final String LIVE = "trainer-live-mappings";
  static final String CAPTION_OWNERS = "trainer-caption-owners";

  private TrainerTopology() {}

  public static Topology buildTopology(TrainerConfig config, TopicCatalogue topics, Supplier<ExecutorService> fitExecutors) {
    StreamsBuilder builder = new StreamsBuilder();
    var embeddingSerde = topics.imageEmbeddings().valueSerde();
    builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(CAPTION_OWNERS),
        Serdes.String(), Serdes.String()));
    int partitions = topics.imageEmbeddings().partitions();

    builder.addGlobalStore(
        Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(LIVE), Serdes.String(), topics.mappings().valueSerde())
            .withLoggingDisabled(),
        topics.mappings().name(),
        Consumed.with(Serdes.String(), topics.mappings().valueSerde()).withName("trainer-mappings-source"),
        () -> new LatestMappingUpdater(LIVE));

    KStream<String, Embedding> captionsByImage = builder
        .stream(topics.textEmbeddings().name(), topics.textEmbeddings().consumed("trainer-text-source"))
        .process(() -> new CaptionOwnerProcessor(CAPTION_OWNERS), Named.as("trainer-text-by-owner"), CAPTION_OWNERS)
        .repartition(Repartitioned.with(Serdes.String(), embeddingSerde).withName("trainer-text-by-image")
            .withNumberOfPartitions(partitions));
    KStream<String, Embedding> images = builder
        .stream(topics.imageEmbeddings().name(), topics.imageEmbeddings().consumed("trainer-image-source"));

    KStream<String, Outcome<MappingModel>> outcomes = images
        .merge(captionsByImage, Named.as("trainer-embeddings"))
        .process(new JoinSupplier(config, embeddingSerde), Named.as("trainer-pair-join"))
        .repartition(Repartitioned.with(Serdes.String(), PairOp.serde()).withName("trainer-pairs")
            .withNumberOfPartitions(1))
        .process(new FitSupplier(config, fitExecutors), Named.as("trainer-fit"));
    OutcomeRoutes.route(outcomes, "trainer-mapping", topics.mappings(), topics);
    return builder.build();
  }

  private record JoinSupplier(TrainerConfig config, Serde<Embedding> serde)
      implements ProcessorSupplier<String, Embedding, String, PairOp> {
    @Override
    public Processor<String, Embedding, String, PairOp> get() {
      return new PairJoinProcessor(JOIN_IMAGES, JOIN_CAPTIONS, config.heldOutPercent());
    }

    @Override
    public Set<StoreBuilder<?>> stores() {
      return Set.of(
          Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(JOIN_IMAGES), Serdes.String(), serde),
          Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(JOIN_CAPTIONS), Serdes.String(), serde));
    }
  }

  private record FitSupplier(TrainerConfig config, Supplier<ExecutorService> executors)
      implements ProcessorSupplier<String, PairOp, String, Outcome<MappingModel>> {
    @Override
    public Processor<String, PairOp, String, Outcome<MappingModel>> get() {
      return new FitProcessor(config, PAIRS, STATE, LIVE, executors);
    }

    @Override
    public Set<StoreBuilder<?>> stores() {
      return Set.of(
          Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(PAIRS), Serdes.String(), PairOp.serde()),
          Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(STATE), Serdes.String(), Serdes.Long()));
    }
  }
}
