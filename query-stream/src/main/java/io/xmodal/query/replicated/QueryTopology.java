package io.xmodal.query.replicated;

import io.xmodal.encoders.Encoders;
import io.xmodal.platform.streams.LatestMappingUpdater;
import io.xmodal.platform.streams.Outcome;
import io.xmodal.platform.streams.OutcomeRoutes;
import io.xmodal.platform.streams.RejectionFactory;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.platform.topics.TopicSpec;
import io.xmodal.query.QueryConfig;
import io.xmodal.query.gallery.GalleryIndex;
import io.xmodal.query.gallery.Projector;
import io.xmodal.query.gallery.GalleryUpdater;
import io.xmodal.schemas.Embedding;
import io.xmodal.schemas.Query;
import io.xmodal.schemas.QueryResult;
import java.util.Set;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The query-stream topology:
 * <pre>
 *   xmodal.embeddings.image ─&gt; global store query-image-embeddings ─┐ (replicated galleries, one index each,
 *   xmodal.embeddings.text  ─&gt; global store query-text-embeddings  ─┤  held by this instance's query tasks)
 *   xmodal.mappings         ─&gt; global store query-live-mappings   ─┤
 *   xmodal.queries ─ query-answer ─┬─&gt; xmodal.results (key queryId)   │
 *                                  ├─&gt; xmodal.metrics                 │
 *                                  └─&gt; xmodal.rejected ◄──────────────┘
 * </pre>
 */
public final class QueryTopology {

  /** The image gallery (imageId to Embedding, a global store), queryable on a running instance. */
  public static final String IMAGE_STORE = "query-image-embeddings";
  /** The caption gallery (captionId to Embedding, a global store), queryable on a running instance. */
  public static final String TEXT_STORE = "query-text-embeddings";
  /** The live version of every mapping (highest version per name), queryable on a running instance. */
  public static final String LIVE_STORE = "query-live-mappings";
  static final String BUFFER_STORE = "query-buffer";

  private QueryTopology() {}

  /** The topology with its two galleries, which share one {@link Projector}. */
  public static Topology buildTopology(QueryConfig config, TopicCatalogue topics, Encoders encoders) {
    Projector projector = new Projector();
    return buildTopology(config, topics, encoders, new GalleryIndex(false, projector),
        new GalleryIndex(false, projector));
  }

  /**
   * @param images the image gallery of the instance that runs this topology (one topology per KafkaStreams
   *               instance): written by its global store's processor, held by its query tasks
   * @param texts  the caption gallery, likewise
   */
  static Topology buildTopology(QueryConfig config, TopicCatalogue topics, Encoders encoders, GalleryIndex images,
                                GalleryIndex texts) {
    StreamsBuilder builder = new StreamsBuilder();
    gallery(builder, IMAGE_STORE, topics.imageEmbeddings(), images, "query-image-embeddings-source");
    gallery(builder, TEXT_STORE, topics.textEmbeddings(), texts, "query-text-embeddings-source");
    builder.addGlobalStore(
        Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(LIVE_STORE), Serdes.String(),
            topics.mappings().valueSerde()).withLoggingDisabled(),
        topics.mappings().name(),
        Consumed.with(Serdes.String(), topics.mappings().valueSerde()).withName("query-mappings-source"),
        () -> new LatestMappingUpdater(LIVE_STORE));

    RejectionFactory rejections = new RejectionFactory(config.applicationId(), config.dlqPayloadCap());
    KStream<String, Outcome<QueryResult>> outcomes = builder
        .stream(topics.queries().name(), topics.queries().consumed("query-source"))
        .process(new Supplier(config, topics.queries(), images, texts, encoders, rejections), Named.as("query-answer"));
    OutcomeRoutes.route(outcomes, "query-result", topics.results(), topics);
    return builder.build();
  }

  private static void gallery(StreamsBuilder builder, String store, TopicSpec<String, Embedding> topic,
                              GalleryIndex index, String sourceName) {
    builder.addGlobalStore(
        Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(store), Serdes.String(), topic.valueSerde())
            .withLoggingDisabled(),
        topic.name(),
        Consumed.with(Serdes.String(), topic.valueSerde()).withName(sourceName),
        () -> new GalleryUpdater(store, index));
  }

  private record Supplier(QueryConfig config, TopicSpec<String, Query> queries, GalleryIndex images,
                          GalleryIndex texts, Encoders encoders, RejectionFactory rejections)
      implements ProcessorSupplier<String, Query, String, Outcome<QueryResult>> {

    @Override
    public Processor<String, Query, String, Outcome<QueryResult>> get() {
      return new QueryProcessor(config, BUFFER_STORE, LIVE_STORE, images, texts, encoders, rejections, queries.name());
    }

    @Override
    public Set<StoreBuilder<?>> stores() {
      StoreBuilder<KeyValueStore<String, Query>> buffer = Stores.keyValueStoreBuilder(
          Stores.inMemoryKeyValueStore(BUFFER_STORE), Serdes.String(), queries.valueSerde());
      return Set.of(buffer);
    }
  }
}
