package io.xmodal.platform.topics;

import io.xmodal.platform.config.TopicSettings;
import io.xmodal.platform.serde.AvroSerdes;
import io.xmodal.schemas.CaptionEvent;
import io.xmodal.schemas.Embedding;
import io.xmodal.schemas.ImageEvent;
import io.xmodal.schemas.MappingModel;
import io.xmodal.schemas.MetricEvent;
import io.xmodal.schemas.Query;
import io.xmodal.schemas.QueryResult;
import io.xmodal.schemas.Rejection;
import io.xmodal.schemas.ShardPartial;
import io.xmodal.schemas.ShardRequest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Every topic of docs/architecture.md (Data flow) with its serdes, built from config. Immutable; no global registry.
 */
public record TopicCatalogue(
    TopicSpec<String, ImageEvent> imagesRaw,
    TopicSpec<String, CaptionEvent> captionsRaw,
    TopicSpec<String, ImageEvent> images,
    TopicSpec<String, CaptionEvent> captions,
    TopicSpec<String, Rejection> rejected,
    TopicSpec<String, Embedding> imageEmbeddings,
    TopicSpec<String, Embedding> textEmbeddings,
    TopicSpec<String, MappingModel> mappings,
    TopicSpec<String, MetricEvent> metrics,
    TopicSpec<String, Query> queries,
    TopicSpec<String, QueryResult> results,
    TopicSpec<String, ShardRequest> queryShards,
    TopicSpec<String, ShardPartial> queryPartials) {

  public static TopicCatalogue create(TopicSettings settings, AvroSerdes serdes) {
    Factory f = new Factory(settings, serdes);
    Map<String, String> large = Map.of("max.message.bytes", Integer.toString(settings.maxMessageBytes()));
    Map<String, String> compactLarge = Map.of("max.message.bytes", Integer.toString(settings.maxMessageBytes()),
        "cleanup.policy", "compact");
    Map<String, String> compact = Map.of("cleanup.policy", "compact");
    // every mapping version stays readable for 30 days before compaction may drop it (rollback reads the history)
    Map<String, String> versions = Map.of("max.message.bytes", Integer.toString(settings.maxMessageBytes()),
        "cleanup.policy", "compact", "min.compaction.lag.ms", Long.toString(30L * 24 * 3600 * 1000));
    return new TopicCatalogue(
        f.topic("images.raw", ImageEvent.class, large),
        f.topic("captions.raw", CaptionEvent.class, Map.of()),
        f.topic("images", ImageEvent.class, compactLarge),
        f.topic("captions", CaptionEvent.class, compact),
        f.topic("rejected", Rejection.class, large),
        f.topic("embeddings.image", Embedding.class, compact),
        f.topic("embeddings.text", Embedding.class, compact),
        f.topic("mappings", MappingModel.class, versions),
        f.topic("metrics", MetricEvent.class, Map.of()),
        f.topic("queries", Query.class, large),
        f.topic("results", QueryResult.class, Map.of()),
        // query-stream's sharded mode: a query scattered to every gallery partition (as many partitions as the
        // embeddings topics, so partition p of each is one shard), and the partial answers gathered by queryId
        f.topic("query.shards", ShardRequest.class, Map.of()),
        f.topic("query.partials", ShardPartial.class, Map.of()));
  }

  public List<TopicSpec<?, ?>> all() {
    return List.of(imagesRaw, captionsRaw, images, captions, rejected, imageEmbeddings, textEmbeddings, mappings,
        metrics, queries, results, queryShards, queryPartials);
  }

  private record Factory(TopicSettings settings, AvroSerdes serdes) {
    <V extends SpecificRecord> TopicSpec<String, V> topic(String suffix, Class<V> type, Map<String, String> configs) {
      Serde<V> value = serdes.valueSerde(type);
      Map<String, String> all = new HashMap<>(configs);
      if (settings.replication() >= 3) {
        // explicit, so an external cluster's broker default does not decide whether a write survives a broker loss
        all.put("min.insync.replicas", Integer.toString(settings.minInsyncReplicas()));
      }
      return new TopicSpec<>(settings.prefix() + "." + suffix, Serdes.String(), value, settings.partitions(),
          settings.replication(), all);
    }
  }
}
