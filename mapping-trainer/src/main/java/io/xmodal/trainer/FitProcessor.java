package io.xmodal.trainer;

import io.xmodal.device.NativeHeap;
import io.xmodal.learned.LearnedSearch;
import io.xmodal.mapping.CrossModalMap;
import io.xmodal.mapping.ModelSearch;
import io.xmodal.mapping.Recall;
import io.xmodal.mapping.Vectors;
import io.xmodal.mapping.codec.MappingCodec;
import io.xmodal.mapping.refit.Gates;
import io.xmodal.mapping.refit.Publication;
import io.xmodal.mapping.refit.Refit;
import io.xmodal.mapping.refit.RefitInput;
import io.xmodal.mapping.refit.TrainingSet;
import io.xmodal.platform.streams.MetricEvents;
import io.xmodal.platform.streams.Outcome;
import io.xmodal.schemas.EncoderIdentity;
import io.xmodal.schemas.EncoderKeys;
import io.xmodal.schemas.MappingModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kafka side of refitting: keeps the pairs store (changelogged, the source of truth) and, per pair of encoders,
 * a {@link TrainingSet} derived from it (rebuilt once from the restored store after a restart); every N new pairs or
 * T seconds it snapshots the largest set and runs a {@link Refit} on a background executor (so no transaction stays
 * open while a fit runs), then, on the stream thread, applies the {@link Gates} to its result, publishes the chosen
 * version and reports every candidate's held-out recall as metrics. The maths and the gates live in the mapping
 * library, where {@code xmodal eval} uses them too.
 */
final class FitProcessor implements Processor<String, PairOp, String, Outcome<MappingModel>> {

  private static final Logger LOG = LoggerFactory.getLogger(FitProcessor.class);
  static final String LAST_VERSION = "last-published-version";
  /**
   * Changes to the pairs (added, replaced, deleted) that no completed refit has covered yet: kept in the changelogged
   * state, so that a task that moves, or restarts after a crash in the middle of a refit, still refits them.
   */
  static final String PENDING = "changes-since-last-fit";

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
  /** Changes not covered by a completed refit (persisted under {@link #PENDING}). */
  private long newPairs;
  /** How many of {@link #newPairs} the refit in flight covers. */
  private long fitCovers;
  private long refusedPairs;
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

  /** The pairs of one (text encoder, image encoder) combination and who made them. */
  private record Group(EncoderIdentity text, EncoderIdentity image, TrainingSet set) {}

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
    groups.values().forEach(g -> g.set().flush());
    Long pending = state.get(PENDING);
    newPairs = pending == null ? 0 : pending;
    if (newPairs > 0) {
      LOG.info("task {}: {} changes to the pairs since the last completed refit (it moved here, or its last refit "
          + "was cut short); a refit follows", context.taskId(), newPairs);
    }
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
        changed();
      }
      return;
    }
    if (!Vectors.usable(pair.text()) || !Vectors.usable(pair.image())) {
      // a NaN, infinite or all-zero vector would poison the statistics of every later fit: left out, counted
      refusedPairs++;
      LOG.warn("pair {} ({} with {}) has a vector with NaN, infinite or only zero values; left out of the fits",
          record.key(), pair.captionId(), pair.imageId());
      return;
    }
    if (old != null) {
      forget(old);
    }
    pairs.put(record.key(), pair);
    take(pair);
    changed();
  }

  private void changed() {
    newPairs++;
    state.put(PENDING, newPairs);
  }

  private void forget(PairOp old) {
    group(old).set().remove(old.asTrainingPair());
  }

  private void take(PairOp pair) {
    group(pair).set().add(pair.asTrainingPair());
  }

  private Group group(PairOp pair) {
    return groups.computeIfAbsent(pair.encodersKey(), k -> new Group(pair.textEncoder(), pair.imageEncoder(),
        new TrainingSet(pair.text().length, pair.image().length,
            config.learned().isEmpty() ? 0 : config.learnedMaxPairs(), config.references())));
  }

  private void tick(long timestamp) {
    FitResult result = finished.getAndSet(null);
    if (result != null) {
      fitting = false;
      publish(result, timestamp);
      // in the same transaction as the version it published (if any): the changes it covered are done
      newPairs -= fitCovers;
      fitCovers = 0;
      state.put(PENDING, newPairs);
    }
    if (!fitting) {
      Map.Entry<String, Group> largest = groups.entrySet().stream()
          .max(Comparator.comparingLong(e -> e.getValue().set().trainingPairs())).orElse(null);
      if (largest != null && due(largest, timestamp)) {
        startFit(largest.getKey(), largest.getValue(), timestamp);
      }
    }
  }

  private boolean due(Map.Entry<String, Group> g, long timestamp) {
    if (g.getValue().set().trainingPairs() < config.minTrainingPairs()) {
      return false;
    }
    if (g.getValue().set().heldOutImages() < config.minHeldOutImages()) {
      return false;
    }
    boolean enough = newPairs >= config.refitEveryPairs();
    boolean waited = newPairs > 0 && timestamp - lastFitAt >= config.refitInterval().toMillis();
    boolean firstFit = state.get(LAST_VERSION) == null && live.get(config.mappingName()) == null && newPairs > 0;
    return enough || waited || firstFit;
  }

  private void startFit(String key, Group g, long timestamp) {
    RefitInput input = g.set().snapshot();
    MappingModel liveModel = live.get(config.mappingName());
    boolean sameEncoders = liveModel != null
        && EncoderKeys.of(liveModel.getTextEncoder()).equals(EncoderKeys.of(g.text()))
        && EncoderKeys.of(liveModel.getImageEncoder()).equals(EncoderKeys.of(g.image()));
    MappingModel comparable = sameEncoders ? liveModel : null;
    fitCovers = newPairs;
    lastFitAt = timestamp;
    fitting = true;
    LOG.info("refitting on {} training pairs, scoring on {} held-out images ({} captions)", input.stats().count(),
        input.validation().imageCount(), input.validation().captionCount());
    Refit.LearnedStep learned = LearnedSearch.step(config.learned());
    Runnable fit = () -> {
      try {
        Refit.Result result = Refit.run(input, config.search(), learned,
            comparable == null ? null : new Refit.Live(MappingCodec.fromAvro(comparable),
                MappingCodec.fittedOnAllPairs(comparable), recorded(comparable)),
            config.allPairs(), line -> LOG.debug("{}", line));
        for (Refit.LearnedOutcome o : result.learned()) {
          if (o.error() != null) {
            LOG.warn(o.summary());
          } else {
            LOG.info(o.summary());
          }
        }
        finished.set(new FitResult(result, comparable, g.text(), g.image(), null));
      } catch (RuntimeException | Error e) {
        finished.set(FitResult.failed(e));
      } finally {
        // the refit's matrices (gigabytes, off the Java heap) are garbage now: freed and given back to the system
        NativeHeap.collectAndTrim("the refit");
      }
    };
    try {
      executor.execute(fit);
    } catch (RuntimeException | Error e) {
      // the fit could not even start (an executor that refuses work, no memory for its thread): a failed refit like
      // any other, reported at the next tick; the stream thread and the live version carry on
      finished.set(FitResult.failed(e));
    }
  }

  private void publish(FitResult fit, long timestamp) {
    if (fit.failure() != null) {
      LOG.error("refit failed; the live mapping stays", fit.failure());
      metric(new Publication.Metric("mapping.refit.failed", 1, "count", Map.of("mapping", config.mappingName(),
          "error", describe(fit.failure()))), timestamp);
      return;
    }
    Refit.Result r = fit.result();
    Long liveVersion = fit.live() == null ? null : fit.live().getVersion();
    Long last = state.get(LAST_VERSION);
    long version = Math.max(last == null ? 0 : last, liveVersion == null ? 0 : liveVersion) + 1;
    Map<ModelSearch.Candidate, MappingModel> events = new IdentityHashMap<>();
    Gates.Selection selection = Gates.select(r.candidates(), c -> encodedSize(events.computeIfAbsent(c,
        k -> event(k, fit, version, liveVersion, timestamp))), config.maxModelBytes(), r.liveRecall());
    Publication p = Publication.of(r, selection, config.mappingName(), version, liveVersion);
    log(p, selection, r, liveVersion);
    if (p.promote()) {
      state.put(LAST_VERSION, version);
      context.forward(new Record<>(config.mappingName(), new Outcome.Accepted<>(events.get(p.chosen())), timestamp));
    }
    p.metrics().forEach(m -> metric(m, timestamp));
  }

  private void log(Publication p, Gates.Selection selection, Refit.Result r, Long liveVersion) {
    for (Gates.Oversized o : selection.tooLarge()) {
      LOG.warn("candidate {} (held-out rsum {}) encodes to {} bytes, over the {} a mapping may take; passing it over "
              + "(raise XMODAL_MAX_MESSAGE_BYTES to publish such maps)", o.candidate().map().label(),
          String.format("%.1f", o.candidate().validation().rsum()), o.bytes(), config.maxModelBytes());
    }
    ModelSearch.Candidate chosen = p.chosen();
    if (chosen == null) {
      LOG.warn("refit: no candidate fits a record of {} bytes; the live mapping stays", config.maxModelBytes());
    } else if (!p.promote()) {
      LOG.info("refit: best candidate {} rsum {} is worse than live v{} rsum {}; not published",
          chosen.map().label(), String.format("%.1f", chosen.validation().rsum()), liveVersion,
          String.format("%.1f", r.liveRecall().rsum()));
    } else {
      LOG.info("published {} v{}: {} held-out rsum {} (live was {}), {} bytes{}", config.mappingName(), p.version(),
          chosen.map().label(), String.format("%.1f", chosen.validation().rsum()),
          r.liveRecall() == null ? "none" : String.format("%.1f", r.liveRecall().rsum()), selection.bytes(),
          r.served(chosen) == chosen.map() ? "" : "; fitted again on all " + r.pairsUsed(chosen) + " pairs, the "
              + "held-out ones included (the score is the training-only fit's)");
    }
  }

  /**
   * A version's recorded held-out recall with the size of the set it was scored on, for the gate (null when any is
   * missing, e.g. a version from before the caption count was recorded).
   */
  static Refit.Recorded recorded(MappingModel m) {
    Recall.Result r = Recall.Result.fromMap(m.getHeldOutMetrics());
    Double images = m.getHeldOutMetrics().get(MappingCodec.HELD_OUT_IMAGES_METRIC);
    Double captions = m.getHeldOutMetrics().get(MappingCodec.HELD_OUT_CAPTIONS_METRIC);
    return r == null || images == null || captions == null ? null
        : new Refit.Recorded(r, images.longValue(), captions.longValue());
  }

  /** A candidate as the event that would publish it (its all-pairs refit when the refit made one). */
  private MappingModel event(ModelSearch.Candidate c, FitResult fit, long version, Long liveVersion, long timestamp) {
    Refit.Result r = fit.result();
    Map<String, Double> heldOut = new LinkedHashMap<>(c.validation().asMap());
    heldOut.put(MappingCodec.HELD_OUT_IMAGES_METRIC, (double) r.heldOutImages());
    heldOut.put(MappingCodec.HELD_OUT_CAPTIONS_METRIC, (double) r.heldOutCaptions());
    heldOut.put("fit.seconds", r.seconds());
    CrossModalMap served = r.served(c);
    if (served != c.map()) {
      // the scores above are the training-only twin's; the map itself has seen the held-out pairs
      heldOut.put(MappingCodec.ALL_PAIRS_METRIC, 1.0);
      heldOut.put(MappingCodec.TRAINING_PAIRS_METRIC, (double) r.pairsUsed());
    }
    return MappingCodec.toAvro(served, new MappingCodec.Meta(config.mappingName(), version, fit.textEncoder(),
        fit.imageEncoder(), r.pairsUsed(c), heldOut, Instant.ofEpochMilli(timestamp), liveVersion,
        r.referenceText(), r.referenceImages()));
  }

  /** "OutOfMemoryError: Java heap space", at most 200 characters, for a metric's tag. */
  static String describe(Throwable failure) {
    String text = failure.getClass().getSimpleName() + (failure.getMessage() == null ? "" : ": " + failure.getMessage());
    return text.length() <= 200 ? text : text.substring(0, 199) + "…";
  }

  /** The event's size in Avro binary (what the registry serde writes, give or take its 5-byte header). */
  static int encodedSize(MappingModel m) {
    try {
      return m.toByteBuffer().remaining();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private void publishCounts(long timestamp) {
    long training = groups.values().stream().mapToLong(g -> g.set().trainingPairs()).sum();
    long heldOutPairs = groups.values().stream().mapToLong(g -> g.set().heldOutPairs()).sum();
    long images = groups.values().stream().mapToLong(g -> g.set().heldOutImages()).sum();
    Map<String, String> tags = Map.of("mapping", config.mappingName());
    metric("trainer.pairs.training", training, "pairs", tags, timestamp);
    metric("trainer.pairs.held_out", heldOutPairs, "pairs", tags, timestamp);
    metric("trainer.images.held_out", images, "images", tags, timestamp);
    metric("trainer.pairs.refused", refusedPairs, "pairs", tags, timestamp);
    windowStart = timestamp;
  }

  private void metric(String name, double value, String unit, Map<String, String> tags, long timestamp) {
    metric(new Publication.Metric(name, value, unit, tags), timestamp);
  }

  private void metric(Publication.Metric m, long timestamp) {
    context.forward(new Record<>(m.name(), new Outcome.Metric<>(MetricEvents.of(m.name(), m.value(), m.unit(),
        m.tags(), windowStart, timestamp)), timestamp));
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
