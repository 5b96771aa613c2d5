package io.xmodal.query.sharded;

import io.xmodal.platform.streams.MetricEvents;
import io.xmodal.query.QueryConfig;
import io.xmodal.query.WindowStats;
import io.xmodal.schemas.Hit;
import io.xmodal.schemas.Modality;
import io.xmodal.schemas.QueryResult;
import io.xmodal.schemas.ShardPartial;
import io.xmodal.schemas.ShardPartialKind;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The gather step of sharded mode, keyed by queryId: the SCATTERED record and the partitions' partials wait in a
 * changelogged store (so under exactly-once a crash loses none and answers none twice) until the SCATTERED record and
 * an ANSWERED partial of every partition are there; then the partials are merged ({@link ShardMerge}) into the one
 * {@code QueryResult} of the query. A FAILED partial answers the query with its error. If some partition has not
 * answered {@link QueryConfig#gatherTimeout()} after the SCATTERED record arrived, the query is answered with the
 * partitions it has, marked partial. Records of a query already answered (a partial after the timeout) never produce a
 * second result: without their SCATTERED record they only wait, and are dropped after the retention.
 */
final class GatherProcessor implements Processor<String, ShardPartial, String, Object> {

  private static final StringSerializer KEYS = new StringSerializer();

  private final QueryConfig config;
  private final String service;
  private final Duration retention;

  private ProcessorContext<String, Object> context;
  private KeyValueStore<String, ShardPartial> store;
  private WindowStats window = new WindowStats();
  private int partials;
  private int late;
  private long windowStart;

  GatherProcessor(QueryConfig config, String service) {
    this.config = config;
    this.service = service;
    this.retention = config.gatherTimeout().multipliedBy(2).compareTo(Duration.ofMinutes(1)) > 0
        ? config.gatherTimeout().multipliedBy(2) : Duration.ofMinutes(1);
  }

  @Override
  public void init(ProcessorContext<String, Object> context) {
    this.context = context;
    this.store = context.getStateStore(ShardedQueryTopology.GATHER_STORE);
    this.windowStart = context.currentSystemTimeMs();
    long every = Math.max(10, Math.min(1000, config.gatherTimeout().toMillis() / 10));
    context.schedule(Duration.ofMillis(every), PunctuationType.WALL_CLOCK_TIME, this::timeouts);
    context.schedule(config.metricsInterval(), PunctuationType.WALL_CLOCK_TIME, this::publishMetrics);
  }

  private static String key(String queryId, ShardPartial p) {
    return prefix(queryId) + switch (p.getKind()) {
      case SCATTERED -> "scattered";
      case FAILED -> "failed";
      case ANSWERED -> "p" + p.getPartition();
    };
  }

  private static String prefix(String queryId) {
    return queryId + "\u0000";
  }

  @Override
  public void process(Record<String, ShardPartial> record) {
    ShardPartial p = record.value();
    if (p == null) {
      return;
    }
    long now = context.currentSystemTimeMs();
    p.setReceivedAt(now);
    store.put(key(p.getQueryId(), p), p);
    List<ShardPartial> all = of(p.getQueryId());
    ShardPartial scattered = all.stream().filter(x -> x.getKind() == ShardPartialKind.SCATTERED).findFirst()
        .orElse(null);
    if (scattered == null) {
      return;
    }
    boolean failed = all.stream().anyMatch(x -> x.getKind() == ShardPartialKind.FAILED);
    long answered = all.stream().filter(x -> x.getKind() == ShardPartialKind.ANSWERED).count();
    if (failed || answered >= scattered.getPartitions()) {
      answer(scattered, all, now);
    }
  }

  private List<ShardPartial> of(String queryId) {
    List<ShardPartial> out = new ArrayList<>();
    try (KeyValueIterator<String, ShardPartial> it = store.prefixScan(prefix(queryId), KEYS)) {
      it.forEachRemaining(kv -> out.add(kv.value));
    }
    return out;
  }

  /** Queries whose time is up are answered with what they have; leftovers of answered queries are dropped. */
  private void timeouts(long now) {
    List<ShardPartial> due = new ArrayList<>();
    List<String> stale = new ArrayList<>();
    try (KeyValueIterator<String, ShardPartial> it = store.all()) {
      while (it.hasNext()) {
        KeyValue<String, ShardPartial> kv = it.next();
        ShardPartial p = kv.value;
        if (p.getKind() == ShardPartialKind.SCATTERED) {
          if (now - p.getReceivedAt() >= config.gatherTimeout().toMillis()) {
            due.add(p);
          }
        } else if (now - p.getReceivedAt() >= retention.toMillis()) {
          stale.add(kv.key);
        }
      }
    }
    due.forEach(s -> answer(s, of(s.getQueryId()), now));
    stale.forEach(k -> {
      if (store.delete(k) != null) {
        late++;
      }
    });
  }

  private void answer(ShardPartial scattered, List<ShardPartial> all, long now) {
    String error = null;
    Map<Integer, List<Hit>> byPartition = new TreeMap<>();
    long searchMicros = 0;
    for (ShardPartial p : all) {
      if (p.getKind() == ShardPartialKind.FAILED) {
        error = p.getError();
      } else if (p.getKind() == ShardPartialKind.ANSWERED && p.getMappingVersion() == scattered.getMappingVersion()) {
        byPartition.put(p.getPartition(), p.getHits());
        searchMicros = Math.max(searchMicros, p.getSearchMicros());
      }
    }
    List<Hit> merged = error != null ? List.of() : ShardMerge.merge(byPartition.values(),
        Math.max(scattered.getK(), 10));
    judge(scattered, merged);
    List<Hit> hits = new ArrayList<>(merged.subList(0, Math.min(scattered.getK(), merged.size())));
    boolean partial = error == null && byPartition.size() < scattered.getPartitions();
    long total = Math.max(0, now - scattered.getScatteredAt().toEpochMilli());
    QueryResult result = QueryResult.newBuilder().setQueryId(scattered.getQueryId()).setHits(hits)
        .setMappingName(scattered.getMappingName()).setMappingVersion(scattered.getMappingVersion())
        .setEncodeMicros(scattered.getEncodeMicros()).setSearchMicros(searchMicros)
        .setTotalMicros(Math.max(total * 1000, scattered.getEncodeMicros() + searchMicros)).setError(error)
        .setPartitions(scattered.getPartitions())
        .setAnsweredPartitions(error != null ? List.of() : new ArrayList<>(byPartition.keySet()))
        .setPartial(partial).setCompletedAt(Instant.ofEpochMilli(now)).build();
    for (ShardPartial p : all) {
      store.delete(key(p.getQueryId(), p));
    }
    if (error != null) {
      window.errors++;
    } else {
      window.latenciesMs.add((double) Math.max(0, now - scattered.getSentAt().toEpochMilli()));
    }
    if (partial) {
      partials++;
    }
    context.forward(new Record<>(scattered.getQueryId(), (Object) result, now),
        ShardedQueryTopology.GATHER_RESULTS_SINK);
  }

  private void judge(ShardPartial q, List<Hit> hits) {
    if (q.getExpectedIds() == null || q.getExpectedIds().isEmpty()) {
      return;
    }
    int rank = -1;
    for (int i = 0; i < hits.size(); i++) {
      if (q.getExpectedIds().contains(hits.get(i).getId())) {
        rank = i;
        break;
      }
    }
    window.judge(q.getModality() == Modality.TEXT ? 0 : 1, rank);
  }

  private void publishMetrics(long timestamp) {
    WindowStats w = window;
    window = new WindowStats();
    double seconds = Math.max(1e-3, (timestamp - windowStart) / 1000.0);
    Map<String, String> tags = Map.of("service", service, "task", context.taskId().toString());
    w.publish(seconds, (name, value, unit) -> metric(name, value, unit, tags, timestamp));
    metric("query.partial", partials, "queries", tags, timestamp);
    metric("query.gather.late", late, "partials", tags, timestamp);
    partials = 0;
    late = 0;
    windowStart = timestamp;
  }

  private void metric(String name, double value, String unit, Map<String, String> tags, long timestamp) {
    context.forward(new Record<>(name, (Object) MetricEvents.of(name, value, unit, tags, windowStart, timestamp),
        timestamp), ShardedQueryTopology.GATHER_METRICS_SINK);
  }
}
