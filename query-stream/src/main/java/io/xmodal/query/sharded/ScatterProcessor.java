package io.xmodal.query.sharded;

import io.xmodal.encoders.Encoders;
import io.xmodal.platform.streams.MicroBatch;
import io.xmodal.platform.streams.RejectionFactory;
import io.xmodal.query.QueryChecks;
import io.xmodal.query.QueryConfig;
import io.xmodal.query.QuerySessions;
import io.xmodal.query.gallery.DecodedMapping;
import io.xmodal.query.replicated.QueryTopology;
import io.xmodal.schemas.MappingModel;
import io.xmodal.schemas.Modality;
import io.xmodal.schemas.Query;
import io.xmodal.schemas.QueryResult;
import io.xmodal.schemas.RejectReason;
import io.xmodal.schemas.ShardPartial;
import io.xmodal.schemas.ShardPartialKind;
import io.xmodal.schemas.ShardRequest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The scatter step of sharded mode. Queries wait in a changelogged store for a micro-batch, as in replicated mode; a
 * batch is validated and encoded once (text or image bytes, with this task's predictors), the live version of its
 * mapping is pinned, and each query goes out as a {@link ShardRequest} to every gallery partition (a query for an
 * existing item goes first to the partition holding the item, which reads its vector), with one SCATTERED record to the
 * gather carrying what the result needs. A query that cannot be answered gets its error result here, and a dead
 * letter if its input is bad; it is never scattered.
 */
final class ScatterProcessor implements Processor<String, Query, String, Object> {

  private final QueryConfig config;
  private final int partitions;
  private final Encoders encoders;
  private final RejectionFactory rejections;
  private final String sourceTopic;

  private ProcessorContext<String, Object> context;
  private MicroBatch<Query> buffer;
  private KeyValueStore<String, MappingModel> live;
  private QuerySessions sessions;
  private DecodedMapping decoded;

  ScatterProcessor(QueryConfig config, int partitions, Encoders encoders, RejectionFactory rejections,
                   String sourceTopic) {
    this.config = config;
    this.partitions = partitions;
    this.encoders = encoders;
    this.rejections = rejections;
    this.sourceTopic = sourceTopic;
  }

  @Override
  public void init(ProcessorContext<String, Object> context) {
    this.context = context;
    KeyValueStore<String, Query> store = context.getStateStore(ShardedQueryTopology.SCATTER_BUFFER_STORE);
    this.buffer = new MicroBatch<>(store, config.batchSize());
    this.live = context.getStateStore(QueryTopology.LIVE_STORE);
    this.sessions = new QuerySessions(encoders, context.taskId().toString(), config.idleRelease());
    context.schedule(config.maxWait(), PunctuationType.WALL_CLOCK_TIME, this::flush);
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
    if (buffer.isEmpty()) {
      return;
    }
    List<Query> batch = buffer.drain().stream().map(kv -> kv.value).toList();
    QueryChecks.groups(batch, q -> q, config.maxK(), config.maxTextChars(), false,
        (q, problem) -> refuse(q, RejectReason.OTHER, problem, timestamp))
        .values().forEach(group -> scatter(group, timestamp));
  }

  private void scatter(List<Query> group, long timestamp) {
    Query first = group.get(0);
    DecodedMapping d = liveMapping(first.getMappingName());
    if (d == null) {
      String why = QueryChecks.noMapping(first.getMappingName(), live);
      group.forEach(q -> fail(q, why, null, timestamp));
      return;
    }
    boolean textQuery = first.getModality() == Modality.TEXT;
    String mismatch = QueryChecks.encoderMismatch(d, first.getModality(),
        textQuery ? encoders.text().info() : encoders.image().info());
    if (mismatch != null) {
      group.forEach(q -> fail(q, mismatch, d.version(), timestamp));
      return;
    }
    long encodeStart = System.nanoTime();
    Map<Query, float[]> vectors = encode(group, textQuery, timestamp);
    long encodeMicros = (System.nanoTime() - encodeStart) / 1000;
    Instant now = Instant.ofEpochMilli(timestamp);
    vectors.forEach((q, vector) -> {
      context.forward(new Record<>(q.getQueryId(), (Object) ShardPartial.newBuilder().setQueryId(q.getQueryId())
          .setKind(ShardPartialKind.SCATTERED).setPartition(-1).setPartitions(partitions)
          .setMappingName(q.getMappingName()).setMappingVersion(d.version()).setEncodeMicros(encodeMicros)
          .setK(q.getK()).setModality(q.getModality()).setSentAt(q.getSentAt()).setScatteredAt(now)
          .setExpectedIds(q.getExpectedIds()).build(), timestamp), ShardedQueryTopology.SCATTER_PARTIALS_SINK);
      context.forward(new Record<>(q.getQueryId(), (Object) ShardRequest.newBuilder().setQueryId(q.getQueryId())
          .setModality(q.getModality()).setMappingName(q.getMappingName()).setMappingVersion(d.version())
          .setPartitions(partitions).setVector(vector == null ? null : ShardVectors.toBytes(vector))
          .setExistingId(q.getExistingId()).setK(Math.max(q.getK(), 10)).setGallery(q.getGallery())
          .setScatteredAt(now).build(), timestamp), ShardedQueryTopology.SCATTER_SHARDS_SINK);
    });
  }

  /**
   * The group's queries that can be scattered, with their L2-normalised vectors; a query for an existing item maps to
   * null (the shard holding the item reads it).
   */
  private Map<Query, float[]> encode(List<Query> group, boolean textQuery, long timestamp) {
    Map<Query, float[]> out = new LinkedHashMap<>();
    List<Query> toEncode = new ArrayList<>();
    for (Query q : group) {
      if (q.getExistingId() != null) {
        out.put(q, null);
      } else {
        toEncode.add(q);
      }
    }
    sessions.encode(toEncode, textQuery, (q, why) -> refuse(q, RejectReason.ENCODING_FAILED, why, timestamp))
        .forEach(e -> out.put(e.query(), e.vector()));
    return out;
  }

  private DecodedMapping liveMapping(String name) {
    MappingModel model = live.get(name);
    if (model == null) {
      return null;
    }
    if (decoded == null || !decoded.model().getName().equals(name) || decoded.version() != model.getVersion()) {
      decoded = DecodedMapping.of(model);
    }
    return decoded;
  }

  private void fail(Query q, String error, Long version, long timestamp) {
    QueryResult result = QueryResult.newBuilder().setQueryId(q.getQueryId()).setHits(List.of())
        .setMappingName(q.getMappingName()).setMappingVersion(version).setEncodeMicros(0).setSearchMicros(0)
        .setTotalMicros(0).setError(error).setPartitions(partitions).setAnsweredPartitions(List.of())
        .setCompletedAt(Instant.ofEpochMilli(timestamp)).build();
    context.forward(new Record<>(Objects.toString(q.getQueryId(), ""), (Object) result, timestamp),
        ShardedQueryTopology.SCATTER_RESULTS_SINK);
  }

  /** A bad query: a result with the error (the caller is not left waiting) and a dead letter. */
  private void refuse(Query q, RejectReason reason, String message, long timestamp) {
    fail(q, message, null, timestamp);
    var source = new RejectionFactory.Source(sourceTopic, context.taskId().partition(), -1, q.getQueryId());
    context.forward(new Record<>(Objects.toString(q.getQueryId(), ""), (Object) rejections.create(source, reason,
        message, RejectionFactory.payloadOf(q), Instant.ofEpochMilli(timestamp)), timestamp),
        ShardedQueryTopology.SCATTER_REJECTED_SINK);
  }


  @Override
  public void close() {
    if (sessions != null) {
      sessions.close();
    }
  }
}
