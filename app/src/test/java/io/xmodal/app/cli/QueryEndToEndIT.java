package io.xmodal.app.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.xmodal.client.dataset.Dataset;
import io.xmodal.client.dataset.Flickr8k;
import io.xmodal.client.dataset.Split;
import io.xmodal.client.query.QueryClient;
import io.xmodal.ingest.IngestTestImages;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.process.Ports;
import io.xmodal.query.replicated.QueryTopology;
import io.xmodal.schemas.MappingModel;
import io.xmodal.schemas.MetricEvent;
import io.xmodal.schemas.Modality;
import io.xmodal.schemas.Query;
import io.xmodal.schemas.QueryResult;
import io.xmodal.tools.demo.Demo;
import io.xmodal.tools.stack.Stack;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo's flow on a subset, on the embedded broker and registry with all four services: every query answered,
 * served recall equal to the library's on the same mapping, online recall on the metrics topic, and a new mapping
 * version picked up by the next queries without a restart.
 */
@Tag("e2e")
@Timeout(900)
class QueryEndToEndIT {

  @TempDir
  Path work;

  @Test
  void shouldAnswerEveryQueryMeasureRecallOnlineAndSwapMappingsMidStream() throws Exception {
    Dataset train = Flickr8k.load(IngestTestImages.flickr8k(), Split.TRAIN, 160);
    Dataset eval = Flickr8k.load(IngestTestImages.flickr8k(), Split.DEV, 30);
    ConfigSource env = ConfigSource.of(SingleEncoders.with(Map.of(
        "XMODAL_WORK_DIR", work.toString(),
        "XMODAL_SHARED_DIR", IngestTestImages.sharedDir().toString(),
        "XMODAL_BROKER_PORT", Integer.toString(Ports.freePort()),
        "XMODAL_CONTROLLER_PORT", Integer.toString(Ports.freePort()),
        "XMODAL_REGISTRY_PORT", Integer.toString(Ports.freePort()),
        "XMODAL_TRAINER_GRID", "quick",
        "XMODAL_METRICS_INTERVAL", "2s")));
    ConfigSource source = DemoCommand.demoSettings(env, PlatformConfig.from(env), train);

    try (Stack stack = Stack.start(source)) {
      // When the demo's flow runs on the subset
      Demo.Outcome o = new Demo(stack.config(), stack.topics(), System.out).run(train, eval, 10, "default",
          Duration.ofMinutes(10));

      // Then every query was answered, and what was served equals the library's recall for the same mapping
      assertThat(o.queries()).isEqualTo(eval.captions().size() + eval.images().size());
      assertThat(Math.abs(o.online().rsum() - o.offline().rsum())).isLessThanOrEqualTo(0.5);
      assertThat(o.online().t2iR10()).isGreaterThan(o.online().t2iR1());
      assertThat(io.xmodal.mapping.codec.MappingCodec.trainingPairs(o.mapping())).isEqualTo(train.trainingPairs(id -> io.xmodal.mapping.HeldOut.isHeldOut(id, 10)));
      // and online recall reached the metrics topic
      Map<String, Double> online = latestMetrics(stack, "query.online.", Duration.ofSeconds(20));
      assertThat(online).containsKeys("query.online.t2i.r10", "query.online.i2t.r10");

      // When a new version is published mid-stream, and query-stream's live-mappings store has it
      MappingModel next = MappingCommand.rollback(stack.config(), stack.topics(), "default",
          o.mapping().getVersion());
      ReadOnlyKeyValueStore<String, MappingModel> live = queryStream(stack).store(StoreQueryParameters.fromNameAndType(
          QueryTopology.LIVE_STORE, QueryableStoreTypes.<String, MappingModel>keyValueStore()));
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
          .until(() -> live.get("default").getVersion(), v -> v == next.getVersion());
      // Then the next queries use it, without a restart
      try (QueryClient client = new QueryClient(stack.config(), stack.topics())) {
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 5; i++) {
          Query q = Query.newBuilder().setQueryId("after-swap-" + i).setModality(Modality.TEXT)
              .setText(eval.captions().get(i).text()).setK(3).setSentAt(Instant.now()).build();
          ids.add(q.getQueryId());
          client.send(q);
        }
        client.flush();
        Map<String, QueryResult> results = client.await(ids, Duration.ofSeconds(60), null);
        assertThat(results).hasSize(5);
        assertThat(results.values()).allSatisfy(r -> {
          assertThat(r.getError()).isNull();
          assertThat(r.getMappingVersion()).isEqualTo(next.getVersion());
          assertThat(r.getHits()).hasSize(3);
        });
      }
    }
  }

  private static KafkaStreams queryStream(Stack stack) {
    return stack.services().stream().filter(s -> s.name().equals("query-stream")).findFirst().orElseThrow()
        .streams();
  }

  private static Map<String, Double> latestMetrics(Stack stack, String prefix, Duration wait) {
    Map<String, Double> out = new HashMap<>();
    MetricsTopic.read(stack, events -> events.stream().map(MetricEvent::getName)
        .filter(n -> n.equals(prefix + "t2i.r10") || n.equals(prefix + "i2t.r10")).distinct().count() == 2, wait)
        .stream().filter(e -> e.getName().startsWith(prefix)).forEach(e -> out.put(e.getName(), e.getValue()));
    return out;
  }
}
