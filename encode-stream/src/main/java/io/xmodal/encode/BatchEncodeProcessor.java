package io.xmodal.encode;

import io.xmodal.encoders.EncodingException;
import io.xmodal.encoders.IdleSession;
import io.xmodal.platform.streams.MetricEvents;
import io.xmodal.platform.streams.Outcome;
import io.xmodal.platform.streams.RejectionFactory;
import io.xmodal.schemas.Embedding;
import io.xmodal.schemas.EmbeddingVectors;
import io.xmodal.schemas.RejectReason;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.FutureTask;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Encodes in micro-batches: records wait, as key → source offset in a changelogged store and as values in memory
 * ({@link OffsetBatch}: a crash loses none of them, and exactly-once holds, since their input offsets are committed
 * with the store and their values are read back from the source after a restore), until {@code batchSize} are
 * waiting or the wall-clock punctuation fires every {@code maxWait}. A record that cannot be
 * prepared or encoded becomes a dead letter; the rest of its batch is emitted. One encoder session (DJL predictors)
 * per processor, opened in {@link #init}, closed after {@code XMODAL_ENCODE_IDLE_RELEASE} without a batch (the models
 * released where no other session uses them, {@link IdleSession}), opened again by the next batch, closed in
 * {@link #close}. Where the modality says so, each record is
 * prepared (an image decoded and resized) on the {@link PreparePool} from the moment it is buffered, and collected in
 * buffer order when its batch is encoded.
 */
final class BatchEncodeProcessor<V extends SpecificRecord, I> implements Processor<String, V, String, Outcome<Embedding>> {

  private static final Logger LOG = LoggerFactory.getLogger(BatchEncodeProcessor.class);

  private final Modality<V, I> modality;
  private final String bufferStore;
  private final String sourceTopic;
  private final int batchSize;
  private final Duration maxWait;
  private final Duration metricsInterval;
  private final Duration idleRelease;
  private final RejectionFactory rejections;
  private final PreparePool pool;
  private final ReaderFactory<V> readers;
  /** Records being prepared off the stream thread, by key (only the buffered version of each key). */
  private final Map<String, FutureTask<I>> preparing = new HashMap<>();

  private ProcessorContext<String, Outcome<Embedding>> context;
  private OffsetBatch<V> buffer;
  private IdleSession<I> session;
  // counters of the current metrics window
  private long windowStart;
  private long encoded;
  private long refused;
  private long deleted;
  private long batches;
  private long encodeNanos;

  BatchEncodeProcessor(Modality<V, I> modality, String bufferStore, String sourceTopic, EncodeConfig config,
                       RejectionFactory rejections, PreparePool pool, ReaderFactory<V> readers) {
    this.modality = modality;
    this.bufferStore = bufferStore;
    this.sourceTopic = sourceTopic;
    this.batchSize = modality.batchSize(config);
    this.maxWait = config.maxWait();
    this.metricsInterval = config.metricsInterval();
    this.idleRelease = config.idleRelease();
    this.rejections = rejections;
    this.pool = pool;
    this.readers = readers;
  }

  /** How a task reads its source partition back by offset (after a restore). */
  @FunctionalInterface
  interface ReaderFactory<V> {
    OffsetBatch.SourceReader<V> open(Map<String, Object> appConfigs, TopicPartition partition);
  }

  @Override
  public void init(ProcessorContext<String, Outcome<Embedding>> context) {
    this.context = context;
    KeyValueStore<String, Long> store = context.getStateStore(bufferStore);
    TopicPartition source = new TopicPartition(sourceTopic, context.taskId().partition());
    this.buffer = new OffsetBatch<>(store, batchSize, offsets -> readers.open(context.appConfigs(), source)
        .read(offsets));
    EncodeModels.Model<I> encoder = modality.encoder();
    this.session = new IdleSession<>("task " + context.taskId() + " " + modality.kind(), encoder.sessions(),
        encoder.release(), idleRelease);
    this.windowStart = context.currentSystemTimeMs();
    context.schedule(maxWait, PunctuationType.WALL_CLOCK_TIME, this::flush);
    context.schedule(metricsInterval, PunctuationType.WALL_CLOCK_TIME, this::publishMetrics);
  }

  @Override
  public void process(Record<String, V> record) {
    if (record.value() == null) {
      delete(record);
      return;
    }
    long offset = context.recordMetadata().map(RecordMetadata::offset).orElseThrow(() ->
        new IllegalStateException("no source offset for a record of " + sourceTopic));
    boolean full = buffer.add(record.key(), offset, record.value());
    if (modality.prepareOffThread() && record.key() != null) {
      V value = record.value();
      forget(preparing.put(record.key(), pool.submit(() -> modality.prepare(value))));
    }
    if (full) {
      flush(context.currentSystemTimeMs());
    }
  }

  /**
   * A tombstone deletes the item: a waiting version of it is dropped unencoded, and the tombstone goes on to the
   * embeddings topic (after any embedding of it already emitted), where the trainer and query-stream drop it.
   */
  private void delete(Record<String, V> record) {
    if (record.key() == null) {
      return;
    }
    buffer.remove(record.key());
    forget(preparing.remove(record.key()));
    deleted++;
    context.forward(new Record<>(record.key(), new Outcome.Accepted<>(null), record.timestamp()));
  }

  private void flush(long timestamp) {
    if (buffer.isEmpty()) {
      session.closeIfIdle();
      return;
    }
    List<KeyValue<String, V>> items = buffer.drain();
    if (buffer.lastReadBack() > 0) {
      LOG.info("task {}: read back {} buffered {} from {} (restored as offsets from the changelog)", context.taskId(),
          buffer.lastReadBack(), modality.kind(), sourceTopic);
    }
    List<KeyValue<String, V>> ready = new ArrayList<>(items.size());
    List<I> inputs = new ArrayList<>(items.size());
    for (KeyValue<String, V> item : items) {
      // prepared on the pool since it was buffered; or here (a record restored from the changelog, or text)
      FutureTask<I> prepared = preparing.remove(item.key);
      try {
        inputs.add(prepared != null ? PreparePool.await(prepared) : modality.prepare(item.value));
        ready.add(item);
      } catch (EncodingException | IllegalArgumentException e) {
        refuse(item, e.getMessage(), timestamp);
      }
    }
    long t0 = System.nanoTime();
    float[][] vectors = encodeOrIsolate(ready, inputs, timestamp);
    encodeNanos += System.nanoTime() - t0;
    batches++;
    Instant now = Instant.ofEpochMilli(timestamp);
    for (int i = 0; i < ready.size(); i++) {
      if (vectors[i] == null) {
        continue;
      }
      KeyValue<String, V> item = ready.get(i);
      Embedding embedding = EmbeddingVectors.set(modality.describe(item.value), vectors[i]).setCreatedAt(now).build();
      context.forward(new Record<>(item.key, new Outcome.Accepted<>(embedding), timestamp));
      encoded++;
    }
  }

  /** The batch at once; if the engine refuses it, one by one, so only the culprit is refused. */
  private float[][] encodeOrIsolate(List<KeyValue<String, V>> ready, List<I> inputs, long timestamp) {
    try {
      return session.encode(inputs);
    } catch (EncodingException | IllegalStateException e) {
      LOG.warn("task {}: a batch of {} {} failed to encode ({}); encoding them one by one", context.taskId(),
          inputs.size(), modality.kind(), e.getMessage());
      float[][] out = new float[inputs.size()][];
      for (int i = 0; i < inputs.size(); i++) {
        try {
          out[i] = session.encode(List.of(inputs.get(i)))[0];
        } catch (EncodingException | IllegalStateException single) {
          refuse(ready.get(i), single.getMessage(), timestamp);
        }
      }
      return out;
    }
  }

  private void refuse(KeyValue<String, V> item, String why, long timestamp) {
    refused++;
    RejectionFactory.Source source =
        new RejectionFactory.Source(sourceTopic, context.taskId().partition(), -1, item.key);
    var rejection = rejections.create(source, RejectReason.ENCODING_FAILED, modality.kind() + " " + item.key
        + " could not be encoded: " + why, RejectionFactory.payloadOf(item.value), Instant.ofEpochMilli(timestamp));
    context.forward(new Record<>(item.key, new Outcome.Refused<>(rejection), timestamp));
  }

  private void publishMetrics(long timestamp) {
    if (encoded + refused + deleted > 0) {
      Map<String, String> tags = Map.of("service", rejections.service(), "kind", modality.kind(),
          "partition", Integer.toString(context.taskId().partition()));
      String prefix = "encode." + modality.kind() + ".";
      double seconds = encodeNanos / 1e9;
      metric(prefix + "encoded", encoded, "records", tags, timestamp);
      metric(prefix + "refused", refused, "records", tags, timestamp);
      metric(prefix + "deleted", deleted, "records", tags, timestamp);
      metric(prefix + "encoder_throughput", seconds > 0 ? encoded / seconds : 0, "records/s", tags, timestamp);
      metric(prefix + "batch_size_avg", batches > 0 ? (double) (encoded + refused) / batches : 0, "records", tags,
          timestamp);
    }
    windowStart = timestamp;
    encoded = 0;
    refused = 0;
    deleted = 0;
    batches = 0;
    encodeNanos = 0;
  }

  private void metric(String name, double value, String unit, Map<String, String> tags, long timestamp) {
    context.forward(new Record<>(name, new Outcome.Metric<>(MetricEvents.of(name, value, unit, tags, windowStart,
        timestamp)), timestamp));
  }

  private static void forget(FutureTask<?> task) {
    if (task != null) {
      PreparePool.discard(task);
    }
  }

  @Override
  public void close() {
    preparing.values().forEach(PreparePool::discard);
    preparing.clear();
    if (session != null) {
      session.close();
    }
  }
}
