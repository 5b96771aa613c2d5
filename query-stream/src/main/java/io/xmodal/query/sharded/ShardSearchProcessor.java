package io.xmodal.query.sharded;

import io.xmodal.platform.streams.LatestMappingUpdater;
import io.xmodal.platform.streams.MetricEvents;
import io.xmodal.platform.streams.MicroBatch;
import io.xmodal.query.QueryConfig;
import io.xmodal.query.gallery.AwaitedGalleries;
import io.xmodal.query.gallery.DecodedMapping;
import io.xmodal.query.gallery.GalleryIndex;
import io.xmodal.query.gallery.ProjectedGallery;
import io.xmodal.query.replicated.QueryTopology;
import io.xmodal.schemas.Embedding;
import io.xmodal.schemas.Hit;
import io.xmodal.schemas.MappingModel;
import io.xmodal.schemas.Modality;
import io.xmodal.schemas.ShardPartial;
import io.xmodal.schemas.ShardPartialKind;
import io.xmodal.schemas.ShardRequest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One gallery partition (a shard task: partition p of both embeddings topics and of {@code xmodal.query.shards}).
 * Requests wait in a changelogged micro-batch; a batch is searched per mapping version, modality and source filter by
 * one matrix product against this partition's {@link ProjectedGallery}, exactly as replicated mode searches the
 * whole gallery, and each query's top-k goes to the gather as an ANSWERED partial.
 *
 * <p>The mapping version is the one pinned at scatter. The shard answers with it if it is the live version or the one
 * before it (the global mappings store keeps both); if it is newer than any this instance has seen yet (its global
 * store lags the scatter's), the request waits in the batch for it, at most the gather timeout; if it is older than
 * both (two swaps while the query was in flight), the shard does not answer and the gather's timeout answers the query
 * partially. No result ever mixes versions.
 *
 * <p>A request for an existing item (vector null) reaches only the partition holding that item: the shard reads its
 * vector from its store and scatters it to every partition, or answers FAILED if the item is in none.
 */
final class ShardSearchProcessor implements Processor<String, ShardRequest, String, Object> {

  private static final Logger LOG = LoggerFactory.getLogger(ShardSearchProcessor.class);

  private final QueryConfig config;
  private final ShardIndexes indexes;
  private final String service;

  private ProcessorContext<String, Object> context;
  private MicroBatch<ShardRequest> buffer;
  private KeyValueStore<String, MappingModel> live;
  private KeyValueStore<String, Embedding> imageStore;
  private KeyValueStore<String, Embedding> textStore;
  private GalleryIndex images;
  private GalleryIndex texts;
  private GalleryIndex.RawVectors imageVectors;
  private GalleryIndex.RawVectors textVectors;
  /** Decoded mapping versions, by name and version; only those the store still has are kept. */
  private final Map<String, DecodedMapping> decoded = new HashMap<>();
  private long windowStart;
  private int versionGone;
  private int expired;
  /** The galleries held-back requests wait for: no flush reads the store again until one of them is done. */
  private final AwaitedGalleries awaited = new AwaitedGalleries();

  ShardSearchProcessor(QueryConfig config, ShardIndexes indexes, String service) {
    this.config = config;
    this.indexes = indexes;
    this.service = service;
  }

  @Override
  public void init(ProcessorContext<String, Object> context) {
    this.context = context;
    KeyValueStore<String, ShardRequest> store = context.getStateStore(ShardedQueryTopology.SHARD_BUFFER_STORE);
    this.buffer = new MicroBatch<>(store, config.batchSize());
    this.live = context.getStateStore(QueryTopology.LIVE_STORE);
    imageStore = context.getStateStore(ShardedQueryTopology.SHARD_IMAGE_STORE);
    textStore = context.getStateStore(ShardedQueryTopology.SHARD_TEXT_STORE);
    images = acquire(indexes.of(true, context.taskId()), imageStore);
    texts = acquire(indexes.of(false, context.taskId()), textStore);
    imageVectors = GalleryIndex.RawVectors.of(imageStore::get);
    textVectors = GalleryIndex.RawVectors.of(textStore::get);
    windowStart = context.currentSystemTimeMs();
    context.schedule(config.maxWait(), PunctuationType.WALL_CLOCK_TIME, this::flush);
    context.schedule(config.metricsInterval(), PunctuationType.WALL_CLOCK_TIME, this::housekeeping);
  }

  /** The task's index, filled from its restored store (a restore writes the store, not through the updater). */
  private static GalleryIndex acquire(GalleryIndex index, KeyValueStore<String, Embedding> store) {
    index.acquire(each -> {
      try (KeyValueIterator<String, Embedding> all = store.all()) {
        all.forEachRemaining(kv -> each.accept(kv.value));
      }
    });
    return index;
  }

  @Override
  public void process(Record<String, ShardRequest> record) {
    ShardRequest r = record.value();
    if (r == null) {
      return;
    }
    if (r.getVector() == null) {
      resolve(r, record.timestamp());
      return;
    }
    if (buffer.add(r.getQueryId(), r)) {
      flush(context.currentSystemTimeMs());
    }
  }

  /** A query for an existing item: its vector from this partition's store, scattered to every partition. */
  private void resolve(ShardRequest r, long timestamp) {
    boolean textQuery = r.getModality() == Modality.TEXT;
    float[] v = (textQuery ? textVectors : imageVectors).vector(Objects.toString(r.getExistingId(), ""));
    if (v == null) {
      context.forward(new Record<>(r.getQueryId(), (Object) partial(r, ShardPartialKind.FAILED, -1, List.of(), 0)
          .setError("no " + (textQuery ? "caption" : "image") + " with id " + r.getExistingId()
              + " in the embeddings topics").build(), timestamp), ShardedQueryTopology.SHARD_PARTIALS_SINK);
      return;
    }
    ShardRequest resolved = ShardRequest.newBuilder(r).setVector(ShardVectors.toBytes(v)).build();
    context.forward(new Record<>(r.getQueryId(), (Object) resolved, timestamp),
        ShardedQueryTopology.SHARD_RESOLVED_SINK);
  }

  private void flush(long now) {
    if (buffer.isEmpty() || awaited.blocking()) {
      return;
    }
    Map<String, List<ShardRequest>> groups = new LinkedHashMap<>();
    for (KeyValue<String, ShardRequest> kv : buffer.drain()) {
      ShardRequest r = kv.value;
      groups.computeIfAbsent(r.getMappingName() + "\u0000" + r.getMappingVersion() + "\u0000" + r.getModality()
          + "\u0000" + Objects.toString(r.getGallery(), ""), g -> new ArrayList<>()).add(r);
    }
    groups.values().forEach(group -> search(group, now));
  }

  private void search(List<ShardRequest> group, long now) {
    ShardRequest first = group.get(0);
    Pinned pinned = pinned(first.getMappingName(), first.getMappingVersion());
    if (pinned.mapping() == null && pinned.notYet()) {
      waitOrExpire(group, now); // this instance has not seen the version yet: wait for it
      return;
    }
    if (pinned.mapping() == null) {
      for (ShardRequest r : group) {
        versionGone++;
        LOG.warn("query {}: mapping {} v{} is no longer held by {} (two newer versions came while it was in flight); "
            + "this partition does not answer it", r.getQueryId(), r.getMappingName(), r.getMappingVersion(),
            context.taskId());
      }
      return;
    }
    DecodedMapping d = pinned.mapping();
    long start = System.nanoTime();
    boolean textQuery = first.getModality() == Modality.TEXT;
    ProjectedGallery gallery = d.projection(textQuery ? images : texts, first.getMappingName(), textQuery);
    if (!gallery.awaitPrepared(textQuery ? imageVectors : textVectors, config.prepareWait())) {
      // projected off the stream thread (a large partition outlasts a transaction): the group waits for it
      waitOrExpire(group, now);
      awaited.add(gallery);
      return;
    }
    float[][] q = new float[group.size()][];
    int k = 1;
    for (int i = 0; i < q.length; i++) {
      q[i] = ShardVectors.fromBytes(group.get(i).getVector());
      k = Math.max(k, group.get(i).getK());
    }
    List<List<Map.Entry<String, Float>>> hits = gallery.search(Nd4j.create(q), k, first.getGallery(),
        textQuery ? imageVectors : textVectors);
    long micros = (System.nanoTime() - start) / 1000;
    int partition = context.taskId().partition();
    for (int i = 0; i < q.length; i++) {
      ShardRequest r = group.get(i);
      List<Hit> top = new ArrayList<>();
      for (Map.Entry<String, Float> h : hits.get(i).subList(0, Math.min(r.getK(), hits.get(i).size()))) {
        top.add(Hit.newBuilder().setId(h.getKey()).setScore(h.getValue()).build());
      }
      context.forward(new Record<>(r.getQueryId(), (Object) partial(r, ShardPartialKind.ANSWERED, partition, top,
          micros).build(), now), ShardedQueryTopology.SHARD_PARTIALS_SINK);
    }
  }

  /** Requests put back to wait (for a version, or its gallery) until the gather timeout, then counted expired. */
  private void waitOrExpire(List<ShardRequest> group, long now) {
    for (ShardRequest r : group) {
      if (now - r.getScatteredAt().toEpochMilli() < config.gatherTimeout().toMillis()) {
        buffer.add(r.getQueryId(), r);
      } else {
        expired++;
      }
    }
  }

  private static ShardPartial.Builder partial(ShardRequest r, ShardPartialKind kind, int partition, List<Hit> hits,
                                              long micros) {
    return ShardPartial.newBuilder().setQueryId(r.getQueryId()).setKind(kind).setPartition(partition)
        .setPartitions(r.getPartitions()).setMappingName(r.getMappingName()).setMappingVersion(r.getMappingVersion())
        .setHits(hits).setSearchMicros(micros);
  }

  /** A pinned version: decoded if held; otherwise whether it is still to come ({@code notYet}) or gone. */
  private record Pinned(DecodedMapping mapping, boolean notYet) {}

  private Pinned pinned(String name, long version) {
    MappingModel newest = live.get(name);
    if (newest == null || newest.getVersion() < version) {
      return new Pinned(null, true);
    }
    MappingModel model = newest.getVersion() == version ? newest
        : live.get(LatestMappingUpdater.previousKey(name));
    if (model == null || model.getVersion() != version) {
      return new Pinned(null, false);
    }
    String key = name + "\u0000" + version;
    DecodedMapping d = decoded.get(key);
    if (d == null) {
      d = DecodedMapping.of(model);
      decoded.put(key, d);
      // keep only the versions a query can still be pinned to
      MappingModel previous = live.get(LatestMappingUpdater.previousKey(name));
      Set<String> keep = Set.of(name + "\u0000" + newest.getVersion(),
          previous == null ? "" : name + "\u0000" + previous.getVersion());
      decoded.keySet().removeIf(k -> k.startsWith(name + "\u0000") && !keep.contains(k));
    }
    return new Pinned(d, false);
  }

  /**
   * Every metrics interval: the partition's gallery sizes, requests dropped, and the older version's projections
   * dropped once no query pinned to them has come for a gather timeout (after that the gather has answered without
   * them anyway).
   */
  private void housekeeping(long timestamp) {
    long idle = config.gatherTimeout().plus(config.maxWait()).toNanos();
    images.dropIdle(idle);
    texts.dropIdle(idle);
    Map<String, String> tags = Map.of("service", service, "task", context.taskId().toString());
    metric("gallery.partition.images", images.size(), "items", tags, timestamp);
    metric("gallery.partition.texts", texts.size(), "items", tags, timestamp);
    metric("query.shard.version_gone", versionGone, "requests", tags, timestamp);
    metric("query.shard.expired", expired, "requests", tags, timestamp);
    versionGone = 0;
    expired = 0;
    windowStart = timestamp;
  }

  private void metric(String name, double value, String unit, Map<String, String> tags, long timestamp) {
    context.forward(new Record<>(name, (Object) MetricEvents.of(name, value, unit, tags, windowStart, timestamp),
        timestamp), ShardedQueryTopology.SHARD_METRICS_SINK);
  }

  @Override
  public void close() {
    decoded.clear();
    if (images != null) {
      images.release();
      texts.release();
      indexes.forget(context.taskId(), images, texts);
    }
  }
}
