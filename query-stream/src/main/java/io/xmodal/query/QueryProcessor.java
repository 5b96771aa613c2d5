package io.xmodal.query;

import io.xmodal.encoders.EncoderInfo;
import io.xmodal.encoders.EncoderSession;
import io.xmodal.encoders.Encoders;
import io.xmodal.encoders.EncodingException;
import io.xmodal.encoders.image.ImageDecoder;
import io.xmodal.mapping.Vectors;
import io.xmodal.platform.streams.MetricEvents;
import io.xmodal.platform.streams.MicroBatch;
import io.xmodal.platform.streams.Outcome;
import io.xmodal.platform.streams.RejectionFactory;
import io.xmodal.schemas.EncoderKeys;
import io.xmodal.schemas.Hit;
import io.xmodal.schemas.MappingModel;
import io.xmodal.schemas.Modality;
import io.xmodal.schemas.Query;
import io.xmodal.schemas.QueryResult;
import io.xmodal.schemas.RejectReason;
import java.awt.image.BufferedImage;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Answers queries in micro-batches: waiting queries sit in a changelogged store (exactly-once: none is lost in a
 * crash) until {@code batchSize} wait or the wall-clock punctuation fires. A batch is encoded with this task's
 * predictors, mapped with the live version of its mapping (read per batch from the global mappings store, so a new
 * version is picked up without a restart), and searched against the other modality's gallery by one matrix product.
 * A query that cannot be answered gets a result with an error and, if its input is bad, a dead letter.
 */
final class QueryProcessor implements Processor<String, Query, String, Outcome<QueryResult>> {

  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(QueryProcessor.class);

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
  /** The raw vectors of the two galleries, read from the global stores. */
  private GalleryIndex.RawVectors imageVectors;
  private GalleryIndex.RawVectors textVectors;
  private EncoderSession<String> textSession;
  private EncoderSession<BufferedImage> imageSession;
  private final Map<String, DecodedMapping> maps = new HashMap<>();
  /** The versions whose projection this task has said it waits for (logged once each). */
  private final java.util.Set<String> announced = new java.util.HashSet<>();

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
    imageVectors = acquire(context, QueryTopology.IMAGE_STORE, images);
    held.add(images);
    textVectors = acquire(context, QueryTopology.TEXT_STORE, texts);
    held.add(texts);
    this.textSession = encoders.text().newSession();
    this.imageSession = encoders.image().newSession();
    this.windowStart = context.currentSystemTimeMs();
    context.schedule(config.maxWait(), PunctuationType.WALL_CLOCK_TIME, this::flush);
    context.schedule(config.metricsInterval(), PunctuationType.WALL_CLOCK_TIME, this::publishMetrics);
  }

  /**
   * This task holds the instance's index while it runs (released in {@link #close()}); the first holder fills it from
   * the global store, since a restored global store does not replay what it already had through its processor.
   *
   * @return the store's raw vectors, which the projected galleries read
   */
  private static GalleryIndex.RawVectors acquire(ProcessorContext<?, ?> context, String store, GalleryIndex index) {
    KeyValueStore<String, io.xmodal.schemas.Embedding> s = context.getStateStore(store);
    index.acquire(each -> {
      try (KeyValueIterator<String, io.xmodal.schemas.Embedding> all = s.all()) {
        all.forEachRemaining(kv -> each.accept(kv.value));
      }
    });
    return GalleryIndex.RawVectors.of(s::get);
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
    if (buffer.isEmpty() || awaited.blocking()) {
      return;
    }
    batchStartNanos = System.nanoTime();
    List<KeyValue<String, Query>> batch = buffer.drain(config.batchSize());
    Map<String, List<KeyValue<String, Query>>> byGroup = new LinkedHashMap<>();
    for (KeyValue<String, Query> kv : batch) {
      Query q = kv.value;
      String problem = validate(q);
      if (problem != null) {
        refuse(q, RejectReason.OTHER, problem, timestamp);
        continue;
      }
      String group = q.getMappingName() + "\u0000" + q.getModality() + "\u0000" + Objects.toString(q.getGallery(), "");
      byGroup.computeIfAbsent(group, g -> new ArrayList<>()).add(kv);
    }
    for (List<KeyValue<String, Query>> group : byGroup.values()) {
      if (!answer(group.stream().map(kv -> kv.value).toList(), timestamp)) {
        group.forEach(kv -> buffer.add(kv.key, kv.value)); // nothing ready yet: they wait for the projection
      }
    }
  }

  private String validate(Query q) {
    return QueryChecks.problem(q, config.maxK());
  }

  /** @return false when the group's mapping has no gallery ready to search yet (the group is left unanswered) */
  private boolean answer(List<Query> group, long timestamp) {
    Query first = group.get(0);
    DecodedMapping live = liveMapping(first.getMappingName());
    if (live == null) {
      group.forEach(q -> fail(q, "no mapping '" + q.getMappingName() + "' is published yet; the trainer publishes one "
          + "once it has enough pairs", (Long) null, timestamp));
      return true;
    }
    boolean textQuery = first.getModality() == Modality.TEXT;
    EncoderInfo mine = textQuery ? encoders.text().info() : encoders.image().info();
    String queryEncoder = EncoderKeys.of(mine.name(), mine.checksum());
    String modelEncoder = EncoderKeys.of(textQuery ? live.model().getTextEncoder() : live.model().getImageEncoder());
    if (!queryEncoder.equals(modelEncoder)) {
      group.forEach(q -> fail(q, "mapping " + q.getMappingName() + " v" + live.version() + " was fitted for another "
          + (textQuery ? "text" : "image") + " encoder than this query-stream runs", live.version(), timestamp));
      return true;
    }
    Served served = served(first.getMappingName(), live, textQuery);
    if (served == null) {
      return false;
    }
    long version = served.version();
    long encodeStart = System.nanoTime();
    List<Query> ok = new ArrayList<>();
    List<float[]> vectors = new ArrayList<>();
    encode(group, textQuery, ok, vectors, version, timestamp);
    long encodeNanos = System.nanoTime() - encodeStart;
    if (ok.isEmpty()) {
      return true;
    }
    long searchStart = System.nanoTime();
    ProjectedGallery gallery = served.gallery();
    int k = ok.stream().mapToInt(Query::getK).max().orElse(10);
    INDArray q = Nd4j.create(vectors.toArray(float[][]::new));
    List<List<Map.Entry<String, Float>>> hits = gallery.search(q, Math.max(k, 10), first.getGallery(),
        textQuery ? imageVectors : textVectors);
    long searchNanos = System.nanoTime() - searchStart;
    for (int i = 0; i < ok.size(); i++) {
      Query query = ok.get(i);
      List<Map.Entry<String, Float>> all = hits.get(i);
      judge(query, textQuery ? 0 : 1, all);
      List<Hit> top = new ArrayList<>();
      for (Map.Entry<String, Float> h : all.subList(0, Math.min(query.getK(), all.size()))) {
        top.add(Hit.newBuilder().setId(h.getKey()).setScore(h.getValue()).build());
      }
      QueryResult result = result(query, top, version, encodeNanos, searchNanos, null, timestamp);
      window.latenciesMs.add((double) Math.max(0, result.getCompletedAt().toEpochMilli()
          - query.getSentAt().toEpochMilli()));
      context.forward(new Record<>(query.getQueryId(), new Outcome.Accepted<>(result), timestamp));
    }
    return true;
  }

  /** Encodes the group's queries (text, image bytes, or an existing item's vector), L2-normalised. */
  private void encode(List<Query> group, boolean textQuery, List<Query> ok, List<float[]> vectors, long version,
                      long timestamp) {
    List<Query> toEncode = new ArrayList<>();
    List<Object> inputs = new ArrayList<>();
    for (Query q : group) {
      if (q.getExistingId() != null) {
        float[] vector = (textQuery ? textVectors : imageVectors).vector(q.getExistingId());
        if (vector == null) {
          fail(q, "no " + (textQuery ? "caption" : "image") + " with id " + q.getExistingId()
              + " in the embeddings topics", version, timestamp);
        } else {
          ok.add(q);
          vectors.add(vector);
        }
        continue;
      }
      try {
        inputs.add(textQuery ? q.getText() : ImageDecoder.decodeRgb(Buffers.bytes(q.getImageBytes())));
        toEncode.add(q);
      } catch (EncodingException e) {
        refuse(q, RejectReason.ENCODING_FAILED, "the query image cannot be decoded: " + e.getMessage(), timestamp);
      }
    }
    if (toEncode.isEmpty()) {
      return;
    }
    float[][] encoded;
    try {
      encoded = textQuery
          ? textSession.encode(inputs.stream().map(String.class::cast).toList())
          : imageSession.encode(inputs.stream().map(BufferedImage.class::cast).toList());
    } catch (EncodingException e) {
      toEncode.forEach(q -> refuse(q, RejectReason.ENCODING_FAILED, e.getMessage(), timestamp));
      return;
    }
    for (int i = 0; i < toEncode.size(); i++) {
      ok.add(toEncode.get(i));
      vectors.add(Vectors.l2(encoded[i]));
    }
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
    QueryResult result = result(q, List.of(), version, 0, 0, error, timestamp);
    context.forward(new Record<>(q.getQueryId(), new Outcome.Accepted<>(result), timestamp));
  }

  /**
   * A result, timed as {@code QueryResult.avsc} defines its fields, on this JVM's monotonic clock: total from the start
   * of the batch's processing to now (this result), encode and search the spans of its group's shared encode and
   * search calls inside it, each counted whole for every query of the group; so encode + search ≤ total. Truncating
   * each to whole µs keeps that. {@code completedAt} is the batch's wall-clock time plus the total.
   *
   * @param batchTimestamp the wall-clock time the batch started (the punctuation's, or the record's arrival)
   */
  private QueryResult result(Query q, List<Hit> hits, Long version, long encodeNanos, long searchNanos, String error,
                             long batchTimestamp) {
    long totalNanos = System.nanoTime() - batchStartNanos;
    return QueryResult.newBuilder().setQueryId(q.getQueryId()).setHits(hits).setMappingName(q.getMappingName())
        .setMappingVersion(version).setEncodeMicros(encodeNanos / 1000).setSearchMicros(searchNanos / 1000)
        .setTotalMicros(totalNanos / 1000).setError(error)
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
    if (textSession != null) {
      textSession.close();
    }
    if (imageSession != null) {
      imageSession.close();
    }
    maps.clear();
    held.forEach(GalleryIndex::release);
    held.clear();
  }
}
