package io.xmodal.app.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.xmodal.client.dataset.Dataset;
import io.xmodal.client.dataset.Flickr8k;
import io.xmodal.client.dataset.Split;
import io.xmodal.client.publish.DatasetPublisher;
import io.xmodal.ingest.IngestTestImages;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.process.Ports;
import io.xmodal.schemas.MappingModel;
import io.xmodal.schemas.MetricEvent;
import io.xmodal.tools.stack.Stack;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Ingest, encode-stream and mapping-trainer together on the embedded broker and registry: 300 dev images and their
 * captions flow through to a first published mapping version, which 'mapping list' shows and 'mapping rollback'
 * re-publishes as a newer version.
 */
@Tag("e2e")
@Timeout(600)
class TrainerEndToEndIT {

  @TempDir
  Path work;

  @Test
  void shouldPublishAQualityGatedMappingFromTheStreamAndRollBack() throws Exception {
    ConfigSource source = ConfigSource.of(Map.ofEntries(
        Map.entry("XMODAL_WORK_DIR", work.toString()),
        Map.entry("XMODAL_SHARED_DIR", IngestTestImages.sharedDir().toString()),
        Map.entry("XMODAL_BROKER_PORT", Integer.toString(Ports.freePort())),
        Map.entry("XMODAL_CONTROLLER_PORT", Integer.toString(Ports.freePort())),
        Map.entry("XMODAL_REGISTRY_PORT", Integer.toString(Ports.freePort())),
        Map.entry("XMODAL_TRAINER_MIN_PAIRS", "1000"),
        Map.entry("XMODAL_TRAINER_MIN_HELD_OUT", "15"),
        Map.entry("XMODAL_TRAINER_GRID", "quick"),
        // the single encoders: the trainer's gate and rollback are under test; EncodeEndToEndIT and QueryEndToEndIT
        // run the default composite end to end
        Map.entry("XMODAL_TEXT_MODEL", "minilm_l6_v2"),
        Map.entry("XMODAL_IMAGE_ENCODER", "mobilenetv2:flip")));
    Dataset subset = Flickr8k.load(IngestTestImages.flickr8k(), Split.DEV, 300);

    try (Stack stack = Stack.start(source)) {
      // Given 300 dev images and their 1,500 captions published as a producer would
      new DatasetPublisher(stack.config(), stack.topics()).publish(subset, System.out);

      // When the trainer has enough pairs, it publishes a first version
      List<MappingModel> versions = await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofSeconds(2))
          .until(() -> MappingCommand.versions(stack.config(), stack.topics()), v -> !v.isEmpty());

      // Then it was chosen on training pairs, scored on held-out ones, with the encoders that made them
      assertThat(versions).isNotEmpty();
      MappingModel v1 = versions.get(0);
      assertThat(v1.getVersion()).isEqualTo(1);
      assertThat(io.xmodal.mapping.codec.MappingCodec.trainingPairs(v1)).isBetween(1000L, 1499L);
      assertThat(v1.getHeldOutMetrics()).containsKeys("t2i.r10", "i2t.r10", "rsum", "heldout.images");
      assertThat(v1.getHeldOutMetrics().get("heldout.images")).isGreaterThanOrEqualTo(15);
      var encoders = stack.encoders().orElseThrow();
      assertThat(v1.getTextEncoder().getChecksum()).isEqualTo(encoders.text().info().checksum());
      assertThat(v1.getImageEncoder().getChecksum()).isEqualTo(encoders.image().info().checksum());
      assertThat(v1.getWeights()).isNotEmpty();

      // and the learned maps were trained in the fit thread from the stored pairs, as xmodal.metrics reports
      java.util.function.Function<List<MetricEvent>, Map<String, Double>> epochs = events -> events.stream()
          .filter(e -> e.getName().equals("mapping.learned.epochs"))
          .collect(java.util.stream.Collectors.toMap(e -> e.getTags().get("kind"), MetricEvent::getValue,
              (a, b) -> b));
      List<MetricEvent> metrics = MetricsTopic.read(stack, events -> epochs.apply(events).containsKey("GMLP"),
          Duration.ofSeconds(30));
      // GMLP first; CONTRASTIVE only when GMLP did not beat its start (a gain of 0)
      double gain = metrics.stream().filter(e -> e.getName().equals("mapping.learned.gain"))
          .filter(e -> "GMLP".equals(e.getTags().get("kind"))).mapToDouble(MetricEvent::getValue).findFirst()
          .orElseThrow();
      assertThat(epochs.apply(metrics)).containsOnlyKeys(gain > 0 ? new String[] {"GMLP"}
          : new String[] {"GMLP", "CONTRASTIVE"}).allSatisfy((kind, n) -> assertThat(n).isGreaterThanOrEqualTo(1));
      assertThat(metrics).noneMatch(e -> e.getName().equals("mapping.learned.failed"));

      // And rolling back re-publishes that version as the newest one
      long newest = versions.get(versions.size() - 1).getVersion();
      MappingModel copy = MappingCommand.rollback(stack.config(), stack.topics(), "default", 1);
      assertThat(copy.getVersion()).isEqualTo(newest + 1);
      assertThat(copy.getParentVersion()).isEqualTo(1L);
      assertThat(copy.getWeights()).isEqualTo(v1.getWeights());
      assertThat(MappingCommand.versions(stack.config(), stack.topics()))
          .extracting(MappingModel::getVersion).contains(1L, newest + 1);
    }
  }
}
