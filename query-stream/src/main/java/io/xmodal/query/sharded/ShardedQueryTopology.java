package io.xmodal.query.sharded;

import io.xmodal.encoders.Encoders;
import io.xmodal.platform.streams.LatestMappingUpdater;
import io.xmodal.platform.streams.RejectionFactory;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.platform.topics.TopicSpec;
import io.xmodal.query.QueryConfig;
import io.xmodal.query.gallery.GalleryUpdater;
import io.xmodal.query.replicated.QueryTopology;
import io.xmodal.schemas.Embedding;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.Stores;

/**
 * query-stream in sharded mode ({@code XMODAL_QUERY_MODE=sharded}): each instance holds only its gallery partitions.
 * <pre>
 *   xmodal.mappings ─&gt; global store query-live-mappings (live + previous version per name)
 *
 *   xmodal.queries ─ query-scatter (batch, validate, encode once, pin the live version) ─┬─&gt; xmodal.query.shards (to every partition)
 *                                                                                         ├─&gt; xmodal.query.partials (SCATTERED)
 *                                                                                         └─&gt; xmodal.results / xmodal.rejected (bad queries)
 *   xmodal.embeddings.image ─&gt; store query-shard-images (changelog: the topic itself) ─┐ partition p of all three
 *   xmodal.embeddings.text  ─&gt; store query-shard-texts  (changelog: the topic itself) ─┤ is one shard task
 *   xmodal.query.shards ─ query-shard-search (batch, pinned version, partial top-k) ────┴─┬─&gt; xmodal.query.partials (ANSWERED/FAILED)
 *                                                                                         ├─&gt; xmodal.query.shards (an existing item's vector, scattered)
 *                                                                                         └─&gt; xmodal.metrics
 *   xmodal.query.partials ─ query-gather (by queryId; all partitions or the timeout) ─┬─&gt; xmodal.results
 *                                                                                    └─&gt; xmodal.metrics
 * </pre>
 * The gallery stores are read-only stores ({@link Topology#addReadOnlyStateStore}): their changelog is the compacted
 * embeddings topic itself, so no copy of the gallery is written to Kafka, and a standby replica
 * ({@code XMODAL_QUERY_STANDBY_REPLICAS}) follows the topic. {@code xmodal.query.shards} has as many partitions as the
 * embeddings topics (all come from the catalogue), which makes partition p of each one task.
 */
public final class ShardedQueryTopology {

  static final String IMAGES_SOURCE = "query-shard-images-source";
  static final String TEXTS_SOURCE = "query-shard-texts-source";
  static final String SHARD_IMAGE_STORE = "query-shard-images";
  static final String SHARD_TEXT_STORE = "query-shard-texts";
  static final String SCATTER_BUFFER_STORE = "query-buffer";
  static final String SHARD_BUFFER_STORE = "query-shard-buffer";
  static final String GATHER_STORE = "query-gather";

  static final String SCATTER = "query-scatter";
  static final String SCATTER_SHARDS_SINK = "query-scatter-shards-sink";
  static final String SCATTER_PARTIALS_SINK = "query-scatter-partials-sink";
  static final String SCATTER_RESULTS_SINK = "query-scatter-results-sink";
  static final String SCATTER_REJECTED_SINK = "query-scatter-rejected-sink";
  static final String SHARD = "query-shard-search";
  static final String SHARD_RESOLVED_SINK = "query-shard-resolved-sink";
  static final String SHARD_PARTIALS_SINK = "query-shard-partials-sink";
  static final String SHARD_METRICS_SINK = "query-shard-metrics-sink";
  static final String GATHER = "query-gather";
  static final String GATHER_RESULTS_SINK = "query-gather-results-sink";
  static final String GATHER_METRICS_SINK = "query-gather-metrics-sink";

  private ShardedQueryTopology() {}

  public static Topology buildTopology(QueryConfig config, TopicCatalogue topics, Encoders encoders) {
    return buildTopology(config, topics, encoders, new ShardIndexes());
  }

  static Topology buildTopology(QueryConfig config, TopicCatalogue topics, Encoders encoders, ShardIndexes indexes) {
    Topology t = new Topology();
    RejectionFactory rejections = new RejectionFactory(config.applicationId(), config.dlqPayloadCap());
    var strings = Serdes.String();
    int partitions = topics.queryShards().partitions();

    t.addGlobalStore(
        Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(QueryTopology.LIVE_STORE), strings,
            topics.mappings().valueSerde()).withLoggingDisabled(),
        "query-mappings-source", strings.deserializer(), topics.mappings().valueSerde().deserializer(),
        topics.mappings().name(), "query-mappings-updater", () -> LatestMappingUpdater.keepingPrevious(QueryTopology.LIVE_STORE));

    // scatter
    t.addSource("query-source", strings.deserializer(), topics.queries().valueSerde().deserializer(),
        topics.queries().name());
    t.addProcessor(SCATTER, () -> new ScatterProcessor(config, partitions, encoders, rejections,
        topics.queries().name()), "query-source");
    t.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(SCATTER_BUFFER_STORE), strings,
        topics.queries().valueSerde()), SCATTER);
    t.addSink(SCATTER_SHARDS_SINK, topics.queryShards().name(), strings.serializer(),
        topics.queryShards().valueSerde().serializer(), new ShardPartitioner(), SCATTER);
    t.addSink(SCATTER_PARTIALS_SINK, topics.queryPartials().name(), strings.serializer(),
        topics.queryPartials().valueSerde().serializer(), SCATTER);
    t.addSink(SCATTER_RESULTS_SINK, topics.results().name(), strings.serializer(),
        topics.results().valueSerde().serializer(), SCATTER);
    t.addSink(SCATTER_REJECTED_SINK, topics.rejected().name(), strings.serializer(),
        topics.rejected().valueSerde().serializer(), SCATTER);

    // the shards: gallery partitions and their search
    galleryPartition(t, SHARD_IMAGE_STORE, IMAGES_SOURCE, topics.imageEmbeddings(), indexes, true);
    galleryPartition(t, SHARD_TEXT_STORE, TEXTS_SOURCE, topics.textEmbeddings(), indexes, false);
    t.addSource("query-shards-source", strings.deserializer(), topics.queryShards().valueSerde().deserializer(),
        topics.queryShards().name());
    t.addProcessor(SHARD, () -> new ShardSearchProcessor(config, indexes, rejections.service()),
        "query-shards-source");
    t.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(SHARD_BUFFER_STORE), strings,
        topics.queryShards().valueSerde()), SHARD);
    t.connectProcessorAndStateStores(SHARD, SHARD_IMAGE_STORE, SHARD_TEXT_STORE);
    t.addSink(SHARD_RESOLVED_SINK, topics.queryShards().name(), strings.serializer(),
        topics.queryShards().valueSerde().serializer(), new ShardPartitioner(), SHARD);
    t.addSink(SHARD_PARTIALS_SINK, topics.queryPartials().name(), strings.serializer(),
        topics.queryPartials().valueSerde().serializer(), SHARD);
    t.addSink(SHARD_METRICS_SINK, topics.metrics().name(), strings.serializer(),
        topics.metrics().valueSerde().serializer(), SHARD);

    // gather
    t.addSource("query-partials-source", strings.deserializer(), topics.queryPartials().valueSerde().deserializer(),
        topics.queryPartials().name());
    t.addProcessor(GATHER, () -> new GatherProcessor(config, rejections.service()), "query-partials-source");
    t.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(GATHER_STORE), strings,
        topics.queryPartials().valueSerde()), GATHER);
    t.addSink(GATHER_RESULTS_SINK, topics.results().name(), strings.serializer(),
        topics.results().valueSerde().serializer(), GATHER);
    t.addSink(GATHER_METRICS_SINK, topics.metrics().name(), strings.serializer(),
        topics.metrics().valueSerde().serializer(), GATHER);
    return t;
  }

  /** A gallery partition: a persistent store of the embeddings topic's partition, whose changelog is the topic. */
  private static void galleryPartition(Topology t, String store, String sourceName, TopicSpec<String, Embedding> topic,
                                       ShardIndexes indexes, boolean images) {
    t.addReadOnlyStateStore(
        Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(store), Serdes.String(), topic.valueSerde())
            .withLoggingDisabled(),
        sourceName, Serdes.String().deserializer(), topic.valueSerde().deserializer(), topic.name(),
        store + "-updater",
        () -> new GalleryUpdater(store, (ProcessorContext<Void, Void> context) -> indexes.of(images,
            context.taskId())));
  }
}
