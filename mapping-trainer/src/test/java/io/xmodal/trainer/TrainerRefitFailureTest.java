package io.xmodal.trainer;

import static io.xmodal.trainer.TrainerTopologyTest.T0;
import static io.xmodal.trainer.TrainerTopologyTest.data;
import static org.assertj.core.api.Assertions.assertThat;

import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.serde.PlainAvroSerdes;
import io.xmodal.platform.streams.StreamsSettings;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.schemas.Embedding;
import io.xmodal.schemas.MappingModel;
import io.xmodal.schemas.MetricEvent;
import io.xmodal.schemas.Rejection;
import io.xmodal.schemas.Tensor;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A refit that fails, whether its thread cannot start or the fit itself throws, leaves the live version serving,
 * shows on the metrics with its error, and does not take the trainer down: a later refit publishes as usual.
 */
class TrainerRefitFailureTest {

  @TempDir
  Path work;

  /** Runs fits on the test thread, like TrainerTopologyTest's; the first {@code refusals} it refuses. */
  static final class RefusingExecutor extends java.util.concurrent.AbstractExecutorService {
    final Deque<Throwable> refusals = new ArrayDeque<>();
    private boolean shutdown;

    @Override
    public void shutdown() {
      shutdown = true;
    }

    @Override
    public java.util.List<Runnable> shutdownNow() {
      shutdown = true;
      return java.util.List.of();
    }

    @Override
    public boolean isShutdown() {
      return shutdown;
    }

    @Override
    public boolean isTerminated() {
      return shutdown;
    }

    @Override
    public boolean awaitTermination(long timeout, java.util.concurrent.TimeUnit unit) {
      return true;
    }

    @Override
    public void execute(Runnable fit) {
      Throwable refusal = refusals.poll();
      if (refusal instanceof Error e) {
        throw e;
      }
      if (refusal instanceof RuntimeException e) {
        throw e;
      }
      fit.run();
    }
  }

  private final RefusingExecutor executor = new RefusingExecutor();
  private TopologyTestDriver driver;
  private TestInputTopic<String, Embedding> images;
  private TestInputTopic<String, Embedding> texts;
  private TestInputTopic<String, MappingModel> mappingsIn;
  private TestOutputTopic<String, MappingModel> mappings;
  private TestOutputTopic<String, MetricEvent> metrics;
  private TestOutputTopic<String, Rejection> rejected;

  @BeforeEach
  void start() {
    TrainerTopologyTest.Setup setup = TrainerTopologyTest.smallSetup(work, List.of(), Integer.MAX_VALUE);
    PlatformConfig platform = setup.platform();
    TrainerConfig config = setup.config();
    TopicCatalogue topics = TopicCatalogue.create(platform.topics(), new PlainAvroSerdes());
    Properties props = StreamsSettings.properties(platform, config.applicationId(), topics, 1024);
    driver = new TopologyTestDriver(TrainerTopology.buildTopology(config, topics, () -> executor), props, T0);
    images = driver.createInputTopic(topics.imageEmbeddings().name(), new StringSerializer(),
        topics.imageEmbeddings().valueSerde().serializer());
    texts = driver.createInputTopic(topics.textEmbeddings().name(), new StringSerializer(),
        topics.textEmbeddings().valueSerde().serializer());
    mappingsIn = driver.createInputTopic(topics.mappings().name(), new StringSerializer(),
        topics.mappings().valueSerde().serializer());
    mappings = driver.createOutputTopic(topics.mappings().name(), topics.mappings().keySerde().deserializer(),
        topics.mappings().valueSerde().deserializer());
    metrics = driver.createOutputTopic(topics.metrics().name(), topics.metrics().keySerde().deserializer(),
        topics.metrics().valueSerde().deserializer());
    rejected = driver.createOutputTopic(topics.rejected().name(), topics.rejected().keySerde().deserializer(),
        topics.rejected().valueSerde().deserializer());
  }

  @AfterEach
  void stop() {
    driver.close();
  }

  private void pipe(TrainerTopologyTest.Data d) {
    d.images().forEach(i -> images.pipeInput(i.getId(), i));
    d.captions().forEach(c -> texts.pipeInput(c.getId(), c));
  }

  private void tick() {
    driver.advanceWallClockTime(Duration.ofSeconds(1));
    driver.advanceWallClockTime(Duration.ofSeconds(1));
  }

  private List<MetricEvent> failures(List<MetricEvent> m) {
    return m.stream().filter(e -> e.getName().equals("mapping.refit.failed")).toList();
  }

  @Test
  void shouldReportARefitWhoseThreadCannotStartAndPublishAtTheNextOne() {
    // Given a fit executor that, the first time, cannot start a thread
    executor.refusals.add(new OutOfMemoryError("unable to create native thread: possibly out of memory"));

    // When enough pairs arrive for a refit
    pipe(data(200, 1));
    tick();

    // Then nothing is published, the failure is on the metrics with its error, and nothing became a dead letter
    assertThat(mappings.isEmpty()).isTrue();
    List<MetricEvent> first = metrics.readValuesToList();
    assertThat(failures(first)).singleElement().satisfies(e -> assertThat(e.getTags())
        .containsEntry("mapping", "default")
        .containsEntry("error", "OutOfMemoryError: unable to create native thread: possibly out of memory"));
    assertThat(first).noneMatch(e -> e.getName().startsWith("mapping.heldout."));
    assertThat(rejected.isEmpty()).isTrue();

    // When more pairs arrive and the executor works again
    pipe(data(200, 2));
    tick();

    // Then the next refit publishes the first version
    List<MappingModel> published = mappings.readValuesToList();
    assertThat(published).singleElement().satisfies(v -> assertThat(v.getVersion()).isEqualTo(1));
    assertThat(failures(metrics.readValuesToList())).isEmpty();
  }

  @Test
  void shouldKeepTheLiveVersionWhenAFitThrowsAndPublishOnceAGoodVersionIsLiveAgain() {
    // Given a first version, published
    pipe(data(200, 1));
    tick();
    MappingModel v1 = mappings.readValue();
    metrics.readValuesToList();
    // and then, as the live version, a copy whose tensors were cut short (a broken rollback, say)
    MappingModel broken = MappingModel.newBuilder(v1).setVersion(2).setParentVersion(1L)
        .setWeights(v1.getWeights().stream().map(TrainerRefitFailureTest::halved).toList()).build();
    mappingsIn.pipeInput("default", broken);

    // When the next refit scores the live version on the held-out pairs (the fit throws)
    pipe(data(200, 2));
    tick();

    // Then no version is published, the error is on the metrics, and the trainer goes on
    assertThat(mappings.isEmpty()).isTrue();
    assertThat(failures(metrics.readValuesToList())).singleElement()
        .satisfies(e -> assertThat(e.getTags().get("error")).isNotBlank().doesNotContain("\n"));
    assertThat(rejected.isEmpty()).isTrue();

    // When a good version is live again and more pairs arrive
    mappingsIn.pipeInput("default", MappingModel.newBuilder(v1).setVersion(3).setParentVersion(2L).build());
    pipe(data(200, 3));
    tick();

    // Then the refit publishes the next version after it
    MappingModel v4 = mappings.readValue();
    assertThat(v4.getVersion()).isEqualTo(4);
    assertThat(v4.getParentVersion()).isEqualTo(3L);
    assertThat(failures(metrics.readValuesToList())).isEmpty();
  }

  private static Tensor halved(Tensor t) {
    ByteBuffer data = t.getData().duplicate();
    ByteBuffer half = ByteBuffer.allocate(data.remaining() / 2);
    data.limit(data.position() + half.capacity());
    half.put(data).flip();
    return Tensor.newBuilder(t).setData(half).build();
  }
}
