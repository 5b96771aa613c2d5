package io.xmodal.query.replicated;

import io.xmodal.encoders.EncoderInfo;
import io.xmodal.encoders.Encoders;
import io.xmodal.mapping.Vectors;
import io.xmodal.platform.streams.MetricEvents;
import io.xmodal.platform.streams.MicroBatch;
import io.xmodal.platform.streams.Outcome;
import io.xmodal.platform.streams.RejectionFactory;
import io.xmodal.query.Buffers;
import io.xmodal.query.QueryChecks;
import io.xmodal.query.QueryConfig;
import io.xmodal.query.QuerySessions;
import io.xmodal.query.WindowStats;
import io.xmodal.query.gallery.AwaitedGalleries;
import io.xmodal.query.gallery.DecodedMapping;
import io.xmodal.query.gallery.GalleryIndex;
import io.xmodal.query.gallery.ProjectedGallery;
import io.xmodal.schemas.CaptionEvent;
import io.xmodal.schemas.ContentHash;
import io.xmodal.schemas.Embedding;
import io.xmodal.schemas.EmbeddingVectors;
import io.xmodal.schemas.EncoderKeys;
import io.xmodal.schemas.Hit;
import io.xmodal.schemas.MappingModel;
import io.xmodal.schemas.Modality;
import io.xmodal.schemas.Query;
import io.xmodal.schemas.QueryResult;
import io.xmodal.schemas.RejectReason;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers queries in micro-batches: waiting queries sit in a changelogged store (exactly-once: none is lost in a
 * crash) until {@code batchSize} wait or the wall-clock punctuation fires. A batch is encoded with this task's
 * predictors, mapped with the live version of its mapping (read per batch from the global mappings store, so a new
 * version is picked up without a restart), and searched against the other modality's gallery by one matrix product.
 * A query whose text or image is already in the embeddings topics (the same content hash, encoded by the same encoder)
 * is not encoded again: the item's stored vector is the one the encoder gave, and answers it (its result names the
 * item in {@code reusedId}), unless the query asks for {@code forceEncode}.
 * A query that cannot be answered gets a result with an error and, if its input is bad, a dead letter.
 */
final class QueryProcessor implements Processor<String, Query, String, Outcome<QueryResult>> {

  private static final Logger LOG = LoggerFactory.getLogger(QueryProcessor.class);

  /** A query's text is taken as a free-text caption (no image) in the captions' default language, for its hash. */
  private static final String QUERY_LANGUAGE =
      String.valueOf(CaptionEvent.getClassSchema().getField("language").defaultVal());

  private final QueryConfig config;
  private final String bufferStore;
  private final String liveStore;
  private final GalleryIndex images;
  private final GalleryIndex texts;
  private final Encoders encoders;
  private final RejectionFactory rejections;
  private final String sourceTopic;

  private ProcessorContext<String, Outcome<QueryResult>> context;
  private MicroBatch<Query> buffer;
  private KeyValueStore<String, MappingModel> live;
  /** The two galleries' embeddings (the global stores), and their raw vectors read from them. */
  private KeyValueStore<String, Embedding> imageStore;
  private KeyValueStore<String, Embedding> textStore;
  private GalleryIndex.RawVectors imageVectors;
  private GalleryIndex.RawVectors textVectors;
  private QuerySessions sessions;
  private final Map<String, DecodedMapping> maps = new HashMap<>();
  /** The versions whose projection this task has said it waits for (logged once each). */
  private final Set<String> announced = new HashSet<>();

  /** The galleries held-back queries wait for: no flush reads the store again until one of them is done. */
  private final AwaitedGalleries awaited = new AwaitedGalleries();
  /** The instance's gallery indexes this task holds (acquired in init, released in close). */
  private final List<GalleryIndex> held = new ArrayList<>();
  private WindowStats window = new WindowStats();
  /** When the batch being answered started ({@link System#nanoTime()}): every result's total starts here. */
  private long batchStartNanos;
  private long windowStart;


  QueryProcessor(QueryConfig config, String bufferStore, String liveStore, GalleryIndex images, GalleryIndex texts,
                 Encoders encoders, RejectionFactory rejections, String sourceTopic) {
    this.config = config;
    this.bufferStore = bufferStore;
    this.liveStore = liveStore;
    this.images = images;
    this.texts = texts;
    this.encoders = encoders;
    this.rejections = rejections;
    this.sourceTopic = sourceTopic;
  }

  @Override
  public void init(ProcessorContext<String, Outcome<QueryResult>> context) {
    this.context = context;
    KeyValueStore<String, Query> store = context.getStateStore(bufferStore);
    this.buffer = new MicroBatch<>(store, config.batchSize());
    this.live = context.getStateStore(liveStore);
    imageStore = acquire(context, QueryTopology.IMAGE_STORE, images);
    imageVectors = GalleryIndex.RawVectors.of(imageStore::get);
    held.add(images);
    textStore = acquire(context, QueryTopology.TEXT_STORE, texts);
    textVectors = GalleryIndex.RawVectors.of(textStore::get);
    held.add(texts);
    this.sessions = new QuerySessions(encoders, context.taskId().toString(), config.idleRelease());
    this.windowStart = context.currentSystemTimeMs();
    context.schedule(config.maxWait(), PunctuationType.WALL_CLOCK_TIME, this::flush);
    context.schedule(config.metricsInterval(), PunctuationType.WALL_CLOCK_TIME, this::publishMetrics);
  }

  /**
   * This task holds the instance's index while it runs (released in {@link #close()}); the first holder fills it from
   * the global store, since a restored global store does not replay what it already had through its processor.
   *
   * @return the store, whose raw vectors the projected galleries read
   */
  private static KeyValueStore<String, Embedding> acquire(ProcessorContext<?, ?> context, String store,
                                                          GalleryIndex index) {
    KeyValueStore<String, Embedding> s = context.getStateStore(store);
    index.acquire(each -> {
      try (KeyValueIterator<String, Embedding> all = s.all()) {
        all.forEachRemaining(kv -> each.accept(kv.value));
      }
    });
    return s;
  }

  @Override
  public void process(Record<String, Query> record) {
    if (record.value() == null) {
      return;
    }
    if (buffer.add(record.key(), record.value())) {
      flush(context.currentSystemTimeMs());
    }
  }

  private void flush(long timestamp) {
    sessions.closeIfIdle();
    if (buffer.isEmpty() || awaited.blocking()) {
      return;
    }
    batchStartNanos = System.nanoTime();
    List<KeyValue<String, Query>> batch = buffer.drain(config.batchSize());
    var byGroup = QueryChecks.groups(batch, kv -> kv.value, config.maxK(), config.maxTextChars(), true,
        (q, problem) -> refuse(q, RejectReason.OTHER, problem, timestamp));
    for (List<KeyValue<String, Query>> group : byGroup.values()) {
      if (!answer(group.stream().map(kv -> kv.value).toList(), timestamp)) {
        group.forEach(kv -> buffer.add(kv.key, kv.value)); // nothing ready yet: they wait for the projection
      }
    }
  }

  /** @return false when the group's mapping has no gallery ready to search yet (the group is left unanswered) */
  private boolean answer(List<Query> group, long timestamp) {
    Query first = group.get(0);
    DecodedMapping live = liveMapping(first.getMappingName());
    if (live == null) {
      String why = QueryChecks.noMapping(first.getMappingName(), this.live);
      group.forEach(q -> fail(q, why, (Long) null, timestamp));
      return true;
    }
    boolean textQuery = first.getModality() == Modality.TEXT;
    EncoderInfo mine = textQuery ? encoders.text().info() : encoders.image().info();
    String mismatch = QueryChecks.encoderMismatch(live, first.getModality(), mine);
    if (mismatch != null) {
      group.forEach(q -> fail(q, mismatch, live.version(), timestamp));
      return true;
    }
    String queryEncoder = EncoderKeys.of(mine.name(), mine.checksum());
    Served served = served(first.getMappingName(), live, textQuery);
    if (served == null) {
      return false;
    }
    long version = served.version();
    GroupVectors got = vectors(group, textQuery, queryEncoder, version, timestamp);
    List<Vectored> ok = got.vectored();
    if (ok.isEmpty()) {
      return true;
    }
    long searchStart = System.nanoTime();
    ProjectedGallery gallery = served.gallery();
    int k = ok.stream().mapToInt(v -> v.query().getK()).max().orElse(10);
    INDArray q = Nd4j.create(ok.stream().map(Vectored::vector).toArray(float[][]::new));
    List<List<Map.Entry<String, Float>>> hits = gallery.search(q, Math.max(k, 10), first.getGallery(),
        textQuery ? imageVectors : textVectors);
    long searchNanos = System.nanoTime() - searchStart;
    for (int i = 0; i < ok.size(); i++) {
      Query query = ok.get(i).query();
      long encodeNanos = ok.get(i).encoded() ? got.encodeNanos() : got.lookupNanos();
      List<Map.Entry<String, Float>> all = hits.get(i);
      judge(query, textQuery ? 0 : 1, all);
      List<Hit> top = new ArrayList<>();
      for (Map.Entry<String, Float> h : all.subList(0, Math.min(query.getK(), all.size()))) {
        top.add(Hit.newBuilder().setId(h.getKey()).setScore(h.getValue()).build());
      }
      QueryResult result = result(query, top, version, encodeNanos, searchNanos, ok.get(i).reusedId(), null,
          timestamp);
      window.latenciesMs.add((double) Math.max(0, result.getCompletedAt().toEpochMilli()
          - query.getSentAt().toEpochMilli()));
      context.forward(new Record<>(query.getQueryId(), new Outcome.Accepted<>(result), timestamp));
    }
    return true;
  }

  /** A query with its L2-normalised vector, and how it got it: encoded, or else the stored vector of an item. */
  private record Vectored(Query query, float[] vector, boolean encoded, String reusedId) {}

  /**
   * A group's queries that have their vectors, and the time it took: {@code lookupNanos} for the stored vectors read
   * (existing ids, and content already encoded), {@code encodeNanos} for decoding and encoding the rest.
   */
  private record GroupVectors(List<Vectored> vectored, long lookupNanos, long encodeNanos) {}

  /**
   * The group's queries' vectors: an existing item's, or the stored vector of an item with the query's content and
   * this encoder ({@link #stored}), or else encoded (text, or image bytes decoded), all in one encoder call.
   */
  private GroupVectors vectors(List<Query> group, boolean textQuery, String encoderKey, long version,
                               long timestamp) {
    long start = System.nanoTime();
    long lookupNanos = 0;
    List<Vectored> out = new ArrayList<>();
    List<Query> toEncode = new ArrayList<>();
    for (Query q : group) {
      long lookupStart = System.nanoTime();
      if (q.getExistingId() != null) {
        float[] vector = (textQuery ? textVectors : imageVectors).vector(q.getExistingId());
        lookupNanos += System.nanoTime() - lookupStart;
        if (vector == null) {
          fail(q, "no " + (textQuery ? "caption" : "image") + " with id " + q.getExistingId()
              + " in the embeddings topics", version, timestamp);
        } else {
          out.add(new Vectored(q, vector, false, null));
        }
        continue;
      }
      if (!q.getForceEncode()) {
        Vectored reused = stored(q, textQuery ? ContentHash.ofCaption(null, QUERY_LANGUAGE, q.getText())
            : ContentHash.ofImage(Buffers.bytes(q.getImageBytes())), textQuery, encoderKey);
        lookupNanos += System.nanoTime() - lookupStart;
        if (reused != null) {
          out.add(reused);
          window.reused++;
          continue;
        }
      }
      toEncode.add(q);
    }
    for (QuerySessions.Encoded e : sessions.encode(toEncode, textQuery,
        (q, why) -> refuse(q, RejectReason.ENCODING_FAILED, why, timestamp))) {
      out.add(new Vectored(e.query(), e.vector(), true, null));
      window.encoded++;
    }
    return new GroupVectors(out, lookupNanos, System.nanoTime() - start - lookupNanos);
  }

  /**
   * The query with the stored vector of an item whose content has {@code contentHash} and that this encoder
   * ({@code encoderKey}) encoded, or null when there is none: the vector the encoder would give the query, as it gave
   * it to the item. The item is found through the gallery index, and its stored embedding's own hash and encoder are
   * checked (the index keeps 64-bit keys, and the store may have changed since).
   */
  private Vectored stored(Query q, String contentHash, boolean textQuery, String encoderKey) {
    String id = (textQuery ? texts : images).withContent(contentHash, encoderKey);
    if (id == null) {
      return null;
    }
    Embedding e = (textQuery ? textStore : imageStore).get(id);
    if (e == null || !contentHash.equals(e.getContentHash())
        || !encoderKey.equals(EncoderKeys.of(e.getEncoderInfo()))) {
      return null;
    }
    float[] v = EmbeddingVectors.of(e);
    return Vectors.usable(v) ? new Vectored(q, Vectors.l2(v), false, id) : null;
  }

  /** A version to answer with and its projected gallery. */
  private record Served(long version, ProjectedGallery gallery) {}

  /**
   * The version a query group is answered with: the live one once its gallery is projected (waiting for that at most
   * {@code XMODAL_QUERY_PREPARE_WAIT}), the older versions' projections then dropped; until then the newest older
   * version whose gallery the instance has projected; null when there is none (the group waits). The projection goes
   * on off the stream thread, so a large gallery never holds a transaction open past its timeout.
   */
  private Served served(String name, DecodedMapping live, boolean textQuery) {
    GalleryIndex index = textQuery ? images : texts;
    ProjectedGallery gallery = live.projection(index, name, textQuery);
    if (gallery.awaitPrepared(textQuery ? imageVectors : textVectors, config.prepareWait())) {
      index.dropOlder(name, live.version());
      return new Served(live.version(), gallery);
    }
    Map.Entry<Long, ProjectedGallery> older = index.newestPrepared(name, live.version());
    if (announced.add(name + "\u0000" + live.version() + "\u0000" + textQuery)) {
      LOG.info("{}: mapping {} v{}: its {} gallery ({} items) is being projected off the stream thread; {}",
          context.taskId(), name, live.version(), textQuery ? "image" : "caption", index.size(), older == null
              ? "its queries wait until it is ready" : "answering with v" + older.getKey() + " meanwhile");
    }
    if (older == null) {
      awaited.add(gallery);
      return null;
    }
    return new Served(older.getKey(), older.getValue());
  }

  private DecodedMapping liveMapping(String name) {
    MappingModel model = live.get(name);
    if (model == null) {
      return null;
    }
    DecodedMapping d = maps.get(name);
    if (d == null || d.version() != model.getVersion()) {
      d = DecodedMapping.of(model);
      maps.put(name, d); // hot swap: served once its galleries are projected (served), the older ones dropped then
    }
    return d;
  }

  private void judge(Query q, int direction, List<Map.Entry<String, Float>> hits) {
    if (q.getExpectedIds() == null || q.getExpectedIds().isEmpty()) {
      return;
    }
    int rank = -1;
    for (int i = 0; i < hits.size(); i++) {
      if (q.getExpectedIds().contains(hits.get(i).getKey())) {
        rank = i;
        break;
      }
    }
    window.judge(direction, rank);
  }

  private void fail(Query q, String error, Long version, long timestamp) {
    window.errors++;
    QueryResult result = result(q, List.of(), version, 0, 0, null, error, timestamp);
    context.forward(new Record<>(q.getQueryId(), new Outcome.Accepted<>(result), timestamp));
  }

  /**
   * A result, timed as {@code QueryResult.avsc} defines its fields, on this JVM's monotonic clock: total from the start
   * of the batch's processing to now (this result), encode and search spans of its group inside it: encode the
   * group's look-ups of stored vectors for a query answered with one, else its decoding and encoder call; search the
   * group's search; each counted whole for every query it served; so encode + search ≤ total. Truncating
   * each to whole µs keeps that. {@code completedAt} is the batch's wall-clock time plus the total.
   *
   * @param reusedId       the item whose stored vector answered the query in place of encoding it, or null
   * @param batchTimestamp the wall-clock time the batch started (the punctuation's, or the record's arrival)
   */
  private QueryResult result(Query q, List<Hit> hits, Long version, long encodeNanos, long searchNanos,
                             String reusedId, String error, long batchTimestamp) {
    long totalNanos = System.nanoTime() - batchStartNanos;
    return QueryResult.newBuilder().setQueryId(q.getQueryId()).setHits(hits).setMappingName(q.getMappingName())
        .setMappingVersion(version).setEncodeMicros(encodeNanos / 1000).setSearchMicros(searchNanos / 1000)
        .setTotalMicros(totalNanos / 1000).setError(error).setReusedId(reusedId)
        .setCompletedAt(Instant.ofEpochMilli(batchTimestamp + totalNanos / 1_000_000)).build();
  }

  /** A bad query: a result with the error (the caller is not left waiting) and a dead letter. */
  private void refuse(Query q, RejectReason reason, String message, long timestamp) {
    fail(q, message, (Long) null, timestamp);
    var source = new RejectionFactory.Source(sourceTopic, context.taskId().partition(), -1, q.getQueryId());
    context.forward(new Record<>(q.getQueryId() == null ? "" : q.getQueryId(), new Outcome.Refused<>(
        rejections.create(source, reason, message, RejectionFactory.payloadOf(q), Instant.ofEpochMilli(timestamp))),
        timestamp));
  }

  private void publishMetrics(long timestamp) {
    WindowStats w = window;
    window = new WindowStats();
    double seconds = Math.max(1e-3, (timestamp - windowStart) / 1000.0);
    Map<String, String> tags = Map.of("service", rejections.service(), "task", context.taskId().toString());
    w.publish(seconds, (name, value, unit) -> metric(name, value, unit, tags, timestamp));
    metric("query.encode.encoded", w.encoded, "queries", tags, timestamp);
    metric("query.encode.reused", w.reused, "queries", tags, timestamp);
    metric("gallery.images", images.size(), "items", tags, timestamp);
    metric("gallery.texts", texts.size(), "items", tags, timestamp);
    maps.forEach((name, d) -> {
      Map<String, String> t = Map.of("service", rejections.service(), "mapping", name);
      metric("mapping.live.version", d.version(), "version", t, timestamp);
      Double rsum = d.model().getHeldOutMetrics().get("rsum");
      if (rsum != null) {
        metric("mapping.live.heldout.rsum", rsum, "points", t, timestamp);
      }
    });
    windowStart = timestamp;
  }

  private void metric(String name, double value, String unit, Map<String, String> tags, long timestamp) {
    context.forward(new Record<>(name, new Outcome.Metric<>(MetricEvents.of(name, value, unit, tags, windowStart,
        timestamp)), timestamp));
  }


  @Override
  public void close() {
    if (sessions != null) {
      sessions.close();
    }
    maps.clear();
    held.forEach(GalleryIndex::release);
    held.clear();
  }
}
