package io.xmodal.app.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.xmodal.ingest.IngestTestImages;
import io.xmodal.mapping.codec.MappingCodec;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.process.Ports;
import io.xmodal.schemas.Embedding;
import io.xmodal.schemas.EmbeddingVectors;
import io.xmodal.schemas.EncoderIdentity;
import io.xmodal.schemas.MappingModel;
import io.xmodal.schemas.Modality;
import io.xmodal.tools.stack.ProcessStack;
import io.xmodal.tools.stack.Stack;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * mapping-trainer as its own process ({@code xmodal service TRAINER}) on the embedded broker, killed with SIGKILL
 * while a refit runs: it never publishes a half-written or duplicate version, after its restart it makes the refit
 * that was cut short (the changes it covered are in the changelogged state, not only in memory), and the version
 * numbers go on with no gap and no repeat.
 */
@Tag("e2e")
@Timeout(600)
class TrainerKillIT {

  static final int DX = 48;
  static final int DY = 64;
  static final EncoderIdentity TEXT = EncoderIdentity.newBuilder().setName("synthetic-text").setVersion("1")
      .setDimension(DX).setChecksum("t1").build();
  static final EncoderIdentity IMAGE = EncoderIdentity.newBuilder().setName("synthetic-image").setVersion("1")
      .setDimension(DY).setChecksum("i1").build();

  @TempDir
  Path work;

  @Test
  void shouldContinueVersionNumbersWithoutGapOrRepeatAfterAKillDuringARefit() throws Exception {
    ConfigSource source = ConfigSource.of(Map.ofEntries(
        Map.entry("XMODAL_WORK_DIR", work.toString()),
        Map.entry("XMODAL_SHARED_DIR", IngestTestImages.sharedDir().toString()),
        Map.entry("XMODAL_BROKER_PORT", Integer.toString(Ports.freePort())),
        Map.entry("XMODAL_CONTROLLER_PORT", Integer.toString(Ports.freePort())),
        Map.entry("XMODAL_REGISTRY_PORT", Integer.toString(Ports.freePort())),
        Map.entry("XMODAL_TRAINER_MIN_PAIRS", "300"),
        Map.entry("XMODAL_TRAINER_REFIT_PAIRS", "300"),
        Map.entry("XMODAL_TRAINER_MIN_HELD_OUT", "3"),
        Map.entry("XMODAL_TRAINER_GRID", "quick"),
        // learned maps make each refit last long enough (seconds) for the kill to land inside one
        Map.entry("XMODAL_TRAINER_LEARNED", "true"),
        Map.entry("XMODAL_TRAINER_EPOCHS", "40")));
    Random r = new Random(11);
    float[][] a = matrix(r, DY, DX);

    try (ProcessStack stack = ProcessStack.start(source, EnumSet.of(Stack.Service.TRAINER), 1, 1, false,
        w -> { }, System.out::println)) {
      ProcessStack.Member trainer = stack.member("mapping-trainer-1");
      Path log = trainer.process().logFile();
      try {
        killDuringARefit(stack, trainer, log, r, a);
      } catch (AssertionError | RuntimeException e) {
        System.out.println("the trainer's log, " + log + ":");
        try (var lines = Files.lines(log)) {
          lines.forEach(System.out::println);
        }
        throw e;
      }
    }
  }

  private static void killDuringARefit(ProcessStack stack, ProcessStack.Member trainer, Path log, Random r,
                                       float[][] a) throws Exception {
    {

      // Given the trainer has published a first version from 400 synthetic pairs (captions = a linear map of their
      // image plus noise, so that every refit scores about as well as the last and passes the quality gate)
      publishPairs(stack, r, a, 0, 80);
      List<MappingModel> first = await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(1))
          .until(() -> MappingCommand.versions(stack.config(), stack.topics()), v -> !v.isEmpty());
      long refitsBefore = refitsStarted(log);

      // When more pairs start a second refit and the trainer is killed (SIGKILL) while it runs
      publishPairs(stack, r, a, 80, 160);
      await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofMillis(100))
          .until(() -> refitsStarted(log) > refitsBefore);
      long publishedAtKill = MappingCommand.versions(stack.config(), stack.topics()).stream()
          .mapToLong(MappingModel::getVersion).max().orElse(0);
      assertThat(trainer.kill()).isEqualTo(137);
      // the killed process had started a refit and not published it: its last refit line comes after its last
      // published one
      List<String> lines = Files.readAllLines(log);
      int lastRefit = -1;
      int lastPublished = -1;
      for (int i = 0; i < lines.size(); i++) {
        if (lines.get(i).contains("refitting on")) {
          lastRefit = i;
        } else if (lines.get(i).contains("published default v")) {
          lastPublished = i;
        }
      }
      assertThat(lastRefit).as("killed during a refit").isGreaterThan(lastPublished);

      // and it is restarted on the same state, with no new pair after the kill
      trainer.restart();

      // Then it goes on publishing: the versions are 1..n, each once, each a whole model that decodes
      List<MappingModel> versions = await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofSeconds(1))
          .until(() -> MappingCommand.versions(stack.config(), stack.topics()),
              v -> v.size() >= publishedAtKill + 1 && v.size() >= 2);
      assertThat(first).isNotEmpty();
      List<Long> numbers = versions.stream().map(MappingModel::getVersion).toList();
      assertThat(numbers).doesNotHaveDuplicates();
      assertThat(numbers).containsExactlyElementsOf(
          java.util.stream.LongStream.rangeClosed(1, numbers.size()).boxed().toList());
      for (MappingModel m : versions) {
        assertThat(MappingCodec.fromAvro(m).projectText(org.nd4j.linalg.factory.Nd4j.ones(1, DX)).columns())
            .isPositive();
      }
      // and the refit the kill cut short was made again by the restarted process, from its changelogged state
      assertThat(versions.stream().filter(v -> v.getVersion() > publishedAtKill)).isNotEmpty();
    }
  }

  private static long refitsStarted(Path log) throws java.io.IOException {
    if (!Files.exists(log)) {
      return 0;
    }
    try (var lines = Files.lines(log)) {
      return lines.filter(l -> l.contains("refitting on")).count();
    }
  }

  /** Images {@code from}..{@code to}-1 and five captions each, paired, as encode-stream would write them. */
  private static void publishPairs(ProcessStack stack, Random r, float[][] a, int from, int to) {
    Map<String, Object> props = new HashMap<>(stack.config().clientConfig());
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    try (KafkaProducer<String, Embedding> p = new KafkaProducer<>(props, new StringSerializer(),
        stack.topics().imageEmbeddings().valueSerde().serializer())) {
      for (int i = from; i < to; i++) {
        float[] y = gaussian(r, DY);
        String imageId = "img-" + i;
        p.send(new ProducerRecord<>(stack.topics().imageEmbeddings().name(), imageId,
            embedding(imageId, Modality.IMAGE, IMAGE, y, null)));
        for (int c = 0; c < 5; c++) {
          float[] x = new float[DX];
          for (int j = 0; j < DX; j++) {
            double s = 0;
            for (int k = 0; k < DY; k++) {
              s += a[k][j] * y[k];
            }
            x[j] = (float) (s + 0.3 * r.nextGaussian());
          }
          String captionId = imageId + "#" + c;
          p.send(new ProducerRecord<>(stack.topics().textEmbeddings().name(), captionId,
              embedding(captionId, Modality.TEXT, TEXT, x, imageId)));
        }
      }
      p.flush();
    }
  }

  private static Embedding embedding(String id, Modality modality, EncoderIdentity enc, float[] v, String paired) {
    Embedding.Builder b = Embedding.newBuilder().setId(id).setModality(modality).setEncoderInfo(enc)
        .setPairedImageId(paired).setCreatedAt(Instant.now()).setSource("synthetic");
    return EmbeddingVectors.set(b, v).build();
  }

  private static float[] gaussian(Random r, int d) {
    float[] v = new float[d];
    for (int j = 0; j < d; j++) {
      v[j] = (float) r.nextGaussian();
    }
    return v;
  }

  private static float[][] matrix(Random r, int rows, int cols) {
    float[][] m = new float[rows][];
    for (int i = 0; i < rows; i++) {
      m[i] = gaussian(r, cols);
    }
    return m;
  }
}
