package io.xmodal.trainer;

import io.xmodal.mapping.EvalSet;
import io.xmodal.mapping.HeldOut;
import io.xmodal.mapping.Linalg;
import io.xmodal.mapping.CrossModalMap;
import io.xmodal.mapping.ModelSearch;
import io.xmodal.mapping.Recall;
import io.xmodal.mapping.SufficientStats;
import io.xmodal.mapping.Vectors;
import io.xmodal.mapping.codec.MappingCodec;
import io.xmodal.platform.streams.MetricEvents;
import io.xmodal.platform.streams.Outcome;
import io.xmodal.learned.LearnedSearch;
import io.xmodal.learned.LearnedTrainer;
import io.xmodal.schemas.EncoderIdentity;
import io.xmodal.schemas.EncoderKeys;
import io.xmodal.schemas.MappingModel;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the pairs, the sufficient statistics of the training pairs (one set per pair of encoders) and the held-out
 * pairs; every N new pairs or T seconds it refits all closed-form candidates in the background, scores them and the
 * live version on the held-out pairs, publishes the best as a new version if it is not worse (the quality gate), and
 * reports every candidate's recall as metrics.
 *
 * <p>The pairs store (changelogged) is the source of truth. The statistics are derived from it: updated
 * incrementally per pair (rank-k updates, O(d²) each), so a refit costs O(d³) and never rescans the pairs; after a
 * restart they are rebuilt once from the restored store. Fits run on a background executor with copies of the
 * statistics, so no transaction stays open while a fit runs; their results are forwarded by a punctuation on the
 * stream thread.
 */
final class FitProcessor implements Processor<String, PairOp, String, Outcome<MappingModel>> {

  private static final Logger LOG = LoggerFactory.getLogger(FitProcessor.class);
  private static final int FLUSH_EVERY = 256;
  static final String LAST_VERSION = "last-published-version";

  private final TrainerConfig config;
  private final String pairsStore;
  private final String stateStore;
  private final String liveStore;
  private final Supplier<ExecutorService> executors;
  /** This task's fit thread: created in init(), shut down in close(), so a task that moves leaves no thread. */
  private ExecutorService executor;
  private final AtomicReference<FitResult> finished = new AtomicReference<>();

  private ProcessorContext<String, Outcome<MappingModel>> context;
  private KeyValueStore<String, PairOp> pairs;
  private KeyValueStore<String, Long> state;
  private KeyValueStore<String, MappingModel> live;
  private final Map<String, Group> groups = new HashMap<>();
  private final Map<String, PairOp> heldOut = new HashMap<>();
  private long newPairs;
  private long lastFitAt;
  private boolean fitting;
  private long windowStart;

  FitProcessor(TrainerConfig config, String pairsStore, String stateStore, String liveStore,
               Supplier<ExecutorService> executors) {
    this.config = config;
    this.pairsStore = pairsStore;
    this.stateStore = stateStore;
    this.liveStore = liveStore;
    this.executors = executors;
  }

  /** The training pairs of one (text encoder, image encoder) combination. */
  private final class Group {
    final EncoderIdentity text;
    final EncoderIdentity image;
    final SufficientStats stats;
    final List<PairOp> pending = new ArrayList<>();
    /** Reference queries for hubness penalties, by the shared deterministic rule (HeldOut.isReference…). */
    final java.util.TreeMap<String, float[]> refText = new java.util.TreeMap<>();
    final java.util.TreeMap<String, float[]> refImages = new java.util.TreeMap<>();
    /** Training pairs per reference image, so an image leaves the references with its last pair. */
    final Map<String, Integer> refImagePairs = new HashMap<>();
    /** Training vectors for the learned maps (L2-normalised), a bounded deterministic sample. */
    final TrainingRows trainRows = new TrainingRows(config.learnedMaxPairs());

    Group(PairOp first) {
      this.text = first.textEncoder();
      this.image = first.imageEncoder();
      this.stats = new SufficientStats(first.text().length, first.image().length);
    }

    void add(PairOp p) {
      pending.add(p);
      if (pending.size() >= FLUSH_EVERY) {
        flush();
      }
    }

    void remove(PairOp p) {
      flush();
      trainRows.remove(p.captionId());
      refText.remove(p.captionId());
      if (refImagePairs.computeIfPresent(p.imageId(), (id, n) -> n > 1 ? n - 1 : null) == null) {
        refImages.remove(p.imageId());
      }
      stats.subtract(new float[][] {Vectors.l2(p.text())}, new float[][] {Vectors.l2(p.image())});
    }

    void flush() {
      if (pending.isEmpty()) {
        return;
      }
      float[][] x = new float[pending.size()][];
      float[][] y = new float[pending.size()][];
      for (int i = 0; i < x.length; i++) {
        PairOp p = pending.get(i);
        x[i] = Vectors.l2(p.text());
        y[i] = Vectors.l2(p.image());
        if (!config.learned().isEmpty()) {
          trainRows.put(p.captionId(), p.imageId(), x[i], y[i]);
        }
        if (HeldOut.isReferenceCaption(p.captionId())) {
          refText.put(p.captionId(), x[i]);
        }
        if (HeldOut.isReferenceImage(p.imageId())) {
          refImages.put(p.imageId(), y[i]);
          refImagePairs.merge(p.imageId(), 1, Integer::sum);
        }
      }
      stats.add(x, y);
      pending.clear();
    }

    long trainingPairs() {
      return stats.count() + pending.size();
    }

    /** The training pairs as rows, for the learned maps (empty when they are off). */
    float[][][] trainingRows() {
      return trainRows.rows();
    }

    INDArray references(java.util.TreeMap<String, float[]> refs, int max) {
      return refs.isEmpty() ? null
          : Linalg.matrix(HeldOut.capReferences(refs, max).toArray(float[][]::new)).castTo(DataType.FLOAT);
    }
  }

  @Override
  public void init(ProcessorContext<String, Outcome<MappingModel>> context) {
    this.context = context;
    this.pairs = context.getStateStore(pairsStore);
    this.state = context.getStateStore(stateStore);
    this.live = context.getStateStore(liveStore);
    this.executor = executors.get();
    long t0 = System.nanoTime();
    long n = 0;
    try (KeyValueIterator<String, PairOp> all = pairs.all()) {
      while (all.hasNext()) {
        take(all.next().value);
        n++;
      }
    }
    groups.values().forEach(Group::flush);
    if (n > 0) {
      LOG.info("task {}: rebuilt the statistics of {} pairs in {} ms", context.taskId(), n,
          (System.nanoTime() - t0) / 1_000_000);
    }
    this.lastFitAt = context.currentSystemTimeMs();
    this.windowStart = lastFitAt;
    context.schedule(Duration.ofSeconds(1), PunctuationType.WALL_CLOCK_TIME, this::tick);
    context.schedule(config.metricsInterval(), PunctuationType.WALL_CLOCK_TIME, this::publishCounts);
  }

  @Override
  public void process(Record<String, PairOp> record) {
    PairOp pair = record.value();
    PairOp old = pairs.get(record.key());
    if (pair == null) {
      // a deleted pair: out of the store and out of the statistics, and the next refit fits without it
      if (old != null) {
        forget(old);
        pairs.delete(record.key());
        newPairs++;
      }
      return;
    }
    if (old != null) {
      forget(old);
    }
    pairs.put(record.key(), pair);
    take(pair);
    newPairs++;
  }

  private void forget(PairOp old) {
    if (old.heldOut()) {
      heldOut.remove(old.captionId());
    } else {
      group(old).remove(old);
    }
  }

  private void take(PairOp pair) {
    if (pair.heldOut()) {
      heldOut.put(pair.captionId(), pair);
    } else {
      group(pair).add(pair);
    }
  }

  private Group group(PairOp pair) {
    return groups.computeIfAbsent(pair.encodersKey(), k -> new Group(pair));
  }

  private void tick(long timestamp) {
    FitResult result = finished.getAndSet(null);
    if (result != null) {
      fitting = false;
      publish(result, timestamp);
    }
    if (!fitting) {
      Map.Entry<String, Group> largest = groups.entrySet().stream()
          .max(Comparator.comparingLong(e -> e.getValue().trainingPairs())).orElse(null);
      if (largest != null && due(largest, timestamp)) {
        startFit(largest.getKey(), largest.getValue(), timestamp);
      }
    }
  }

  private boolean due(Map.Entry<String, Group> g, long timestamp) {
    if (g.getValue().trainingPairs() < config.minTrainingPairs()) {
      return false;
    }
    if (heldOutImages(g.getKey()) < config.minHeldOutImages()) {
      return false;
    }
    boolean enough = newPairs >= config.refitEveryPairs();
    boolean waited = newPairs > 0 && timestamp - lastFitAt >= config.refitInterval().toMillis();
    boolean firstFit = state.get(LAST_VERSION) == null && live.get(config.mappingName()) == null && newPairs > 0;
    return enough || waited || firstFit;
  }

  private long heldOutImages(String key) {
    return heldOut.values().stream().filter(p -> p.encodersKey().equals(key)).map(PairOp::imageId).distinct().count();
  }

  private void startFit(String key, Group g, long timestamp) {
    g.flush();
    SufficientStats stats = SufficientStats.fromBytes(g.stats.toBytes());
    EvalSet validation = heldOutSet(key);
    INDArray refText = g.references(g.refText, HeldOut.MAX_REFERENCE_CAPTIONS);
    INDArray refImages = g.references(g.refImages, HeldOut.MAX_REFERENCE_IMAGES);
    MappingModel liveModel = live.get(config.mappingName());
    boolean sameEncoders = liveModel != null
        && EncoderKeys.of(liveModel.getTextEncoder()).equals(EncoderKeys.of(g.text))
        && EncoderKeys.of(liveModel.getImageEncoder()).equals(EncoderKeys.of(g.image));
    MappingModel comparable = sameEncoders ? liveModel : null;
    EncoderIdentity text = g.text;
    EncoderIdentity image = g.image;
    float[][][] rows = config.learned().isEmpty() ? null : g.trainingRows();
    newPairs = 0;
    lastFitAt = timestamp;
    fitting = true;
    LOG.info("refitting on {} training pairs, scoring on {} held-out images ({} captions)", stats.count(),
        validation.imageCount(), validation.captionCount());
    executor.execute(() -> {
      try {
        long t0 = System.nanoTime();
        List<ModelSearch.Candidate> candidates = new ArrayList<>(ModelSearch.bestPerFamily(stats, validation, refText,
            refImages, config.search(), line -> LOG.debug("candidate {}", line)));
        List<LearnedSearch.Trained> learned = rows == null || rows[0].length == 0 ? List.of()
            : LearnedSearch.train(rows[0], rows[1], candidates, validation, refText, refImages,
                config.search().hubness(), config.learned(), line -> LOG.debug("{}", line));
        for (LearnedSearch.Trained t : learned) {
          if (t.error() != null) {
            LOG.warn(t.summary());
          } else {
            LOG.info(t.summary());
          }
          candidates.addAll(t.candidates());
        }
        Recall.Result liveRecall = comparable == null ? null : Recall.evaluate(MappingCodec.fromAvro(comparable),
            validation.captions(), validation.captionImage(), validation.images(), refText, refImages);
        finished.set(new FitResult(candidates, comparable, liveRecall, stats.count(), validation.imageCount(),
            text, image, refText, refImages, (System.nanoTime() - t0) / 1e9, learned, null));
      } catch (RuntimeException | Error e) {
        finished.set(FitResult.failed(e));
      }
    });
  }

  /** Held-out images of these encoders with all their captions, L2-normalised like the statistics. */
  private EvalSet heldOutSet(String key) {
    Map<String, Integer> imageIndex = new LinkedHashMap<>();
    List<float[]> images = new ArrayList<>();
    List<float[]> captions = new ArrayList<>();
    List<Integer> captionImage = new ArrayList<>();
    for (PairOp p : heldOut.values()) {
      if (!p.encodersKey().equals(key)) {
        continue;
      }
      Integer idx = imageIndex.get(p.imageId());
      if (idx == null) {
        idx = images.size();
        imageIndex.put(p.imageId(), idx);
        images.add(Vectors.l2(p.image()));
      }
      captions.add(Vectors.l2(p.text()));
      captionImage.add(idx);
    }
    return new EvalSet(Linalg.matrix(captions.toArray(float[][]::new)),
        captionImage.stream().mapToInt(Integer::intValue).toArray(), Linalg.matrix(images.toArray(float[][]::new)));
  }

  private void publish(FitResult r, long timestamp) {
    if (r.failure() != null) {
      LOG.error("refit failed; the live mapping stays", r.failure());
      metric("mapping.refit.failed", 1, "count", Map.of(), timestamp);
      return;
    }
    Long liveVersion = r.live() == null ? null : r.live().getVersion();
    Long last = state.get(LAST_VERSION);
    long version = Math.max(last == null ? 0 : last, liveVersion == null ? 0 : liveVersion) + 1;
    // the best candidate whose event fits a Kafka record (a better one that does not is reported and passed over)
    ModelSearch.Candidate chosen = null;
    MappingModel model = null;
    int modelBytes = 0;
    List<ModelSearch.Candidate> ranked = new ArrayList<>(r.candidates());
    ranked.sort(Comparator.comparingDouble((ModelSearch.Candidate c) -> c.validation().rsum()).reversed());
    for (ModelSearch.Candidate c : ranked) {
      Map<String, Double> heldOut = new LinkedHashMap<>(c.validation().asMap());
      heldOut.put("heldout.images", (double) r.heldOutImages());
      heldOut.put("fit.seconds", r.seconds());
      MappingModel m = MappingCodec.toAvro(c.map(), new MappingCodec.Meta(config.mappingName(), version,
          r.textEncoder(), r.imageEncoder(), r.pairsUsed(), heldOut, Instant.ofEpochMilli(timestamp), liveVersion,
          r.referenceText(), r.referenceImages()));
      int bytes = encodedSize(m);
      if (bytes <= config.maxModelBytes()) {
        chosen = c;
        model = m;
        modelBytes = bytes;
        break;
      }
      LOG.warn("candidate {} (held-out rsum {}) encodes to {} bytes, over the {} a mapping may take; passing it over "
              + "(raise XMODAL_MAX_MESSAGE_BYTES to publish such maps)", c.map().label(),
          String.format("%.1f", c.validation().rsum()), bytes, config.maxModelBytes());
      metric("mapping.too_large", bytes, "bytes", Map.of("mapping", config.mappingName(), "candidate",
          c.map().label()), timestamp);
    }
    boolean promote = chosen != null && FitResult.passesGate(chosen.validation(), r.liveRecall());
    for (ModelSearch.Candidate c : r.candidates()) {
      Map<String, String> tags = new HashMap<>();
      tags.put("mapping", config.mappingName());
      tags.put("candidate", c.map().label());
      tags.put("method", c.map().method().name());
      boolean published = promote && c == chosen;
      tags.put("promoted", Boolean.toString(published));
      if (published) {
        tags.put("version", Long.toString(version));
      }
      c.validation().asMap().forEach((name, value) ->
          metric("mapping.heldout." + name, value, name.equals("rsum") ? "points" : "percent", tags, timestamp));
    }
    for (LearnedSearch.Trained t : r.learned()) {
      Map<String, String> tags = Map.of("mapping", config.mappingName(), "kind", t.options().kind().name());
      if (t.error() != null) {
        metric("mapping.learned.failed", 1, "count", Map.of("mapping", config.mappingName(), "kind",
            t.options().kind().name(), "error", t.error()), timestamp);
        continue;
      }
      LearnedTrainer.Result lr = t.result();
      metric("mapping.learned.epochs", lr.epochs(), "epochs", tags, timestamp);
      metric("mapping.learned.best_epoch", lr.bestEpoch(), "epochs", tags, timestamp);
      metric("mapping.learned.seconds_per_epoch", lr.secondsPerEpoch(), "seconds", tags, timestamp);
      metric("mapping.learned.seconds", lr.seconds(), "seconds", tags, timestamp);
      metric("mapping.learned.gain", lr.validation().rsum() - lr.start().rsum(), "points", tags, timestamp);
    }
    if (r.liveRecall() != null) {
      metric("mapping.live.rsum", r.liveRecall().rsum(), "points",
          Map.of("mapping", config.mappingName(), "version", Long.toString(liveVersion)), timestamp);
    }
    if (chosen == null) {
      LOG.warn("refit: no candidate fits a record of {} bytes; the live mapping stays", config.maxModelBytes());
      return;
    }
    if (!promote) {
      LOG.info("refit: best candidate {} rsum {} is worse than live v{} rsum {}; not published",
          chosen.map().label(), String.format("%.1f", chosen.validation().rsum()), liveVersion,
          String.format("%.1f", r.liveRecall().rsum()));
      metric("mapping.refused", chosen.validation().rsum(), "points", Map.of("mapping", config.mappingName(),
          "candidate", chosen.map().label()), timestamp);
      return;
    }
    state.put(LAST_VERSION, version);
    LOG.info("published {} v{}: {} held-out rsum {} (live was {}), {} bytes", config.mappingName(), version,
        chosen.map().label(), String.format("%.1f", chosen.validation().rsum()),
        r.liveRecall() == null ? "none" : String.format("%.1f", r.liveRecall().rsum()), modelBytes);
    context.forward(new Record<>(config.mappingName(), new Outcome.Accepted<>(model), timestamp));
    metric("mapping.promoted", version, "version", Map.of("mapping", config.mappingName(), "candidate",
        chosen.map().label()), timestamp);
  }

  /** The event's size in Avro binary (what the registry serde writes, give or take its 5-byte header). */
  static int encodedSize(MappingModel m) {
    try {
      return m.toByteBuffer().remaining();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private void publishCounts(long timestamp) {
    long training = groups.values().stream().mapToLong(Group::trainingPairs).sum();
    long images = heldOut.values().stream().map(PairOp::imageId).distinct().count();
    Map<String, String> tags = Map.of("mapping", config.mappingName());
    metric("trainer.pairs.training", training, "pairs", tags, timestamp);
    metric("trainer.pairs.held_out", heldOut.size(), "pairs", tags, timestamp);
    metric("trainer.images.held_out", images, "images", tags, timestamp);
    windowStart = timestamp;
  }

  private void metric(String name, double value, String unit, Map<String, String> tags, long timestamp) {
    context.forward(new Record<>(name, new Outcome.Metric<>(MetricEvents.of(name, value, unit, tags, windowStart,
        timestamp)), timestamp));
  }

  /**
   * The task is closing (revoked, moved to another instance, or the service stops): its fit thread goes with it. A fit
   * still running is interrupted and its result dropped, as a crash would drop it; the pairs are in the store.
   */
  @Override
  public void close() {
    if (executor != null) {
      executor.shutdownNow();
      executor = null;
    }
  }
}
