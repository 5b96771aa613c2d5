package io.xmodal.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import io.xmodal.device.DeviceChoice;
import io.xmodal.learned.LearnedOptions;
import io.xmodal.mapping.Fits;
import io.xmodal.mapping.HeldOut;
import io.xmodal.mapping.HubnessCorrection;
import io.xmodal.mapping.Method;
import io.xmodal.mapping.ModelSearch;
import io.xmodal.mapping.SufficientStats;
import io.xmodal.mapping.Vectors;
import io.xmodal.mapping.codec.MappingCodec;
import io.xmodal.mapping.refit.Refit;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.serde.PlainAvroSerdes;
import io.xmodal.platform.streams.StreamsSettings;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.schemas.Embedding;
import io.xmodal.schemas.EncoderIdentity;
import io.xmodal.schemas.MappingModel;
import io.xmodal.schemas.MetricEvent;
import io.xmodal.schemas.Modality;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTopologyTest {

  static final int DX = 8;
  static final int DY = 12;
  static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
  static final EncoderIdentity TEXT = EncoderIdentity.newBuilder().setName("text-enc").setVersion("1")
      .setDimension(DX).setChecksum("aaaaaaaaaaaaaaaa").build();
  static final EncoderIdentity IMAGE = EncoderIdentity.newBuilder().setName("image-enc").setVersion("1")
      .setDimension(DY).setChecksum("bbbbbbbbbbbbbbbb").build();

  @TempDir
  Path work;

  TopologyTestDriver driver;
  TestInputTopic<String, Embedding> images;
  TestInputTopic<String, Embedding> texts;
  TestInputTopic<String, MappingModel> mappingsIn;
  TestOutputTopic<String, MappingModel> mappings;
  TestOutputTopic<String, MetricEvent> metrics;
  TopicCatalogue topics;

  /** Images with three captions each; caption = image·M + noise, so the images are findable from their captions. */
  record Data(List<Embedding> images, List<Embedding> captions) {}

  static Data data(int n, long seed) {
    return data(n, seed, 0.8);
  }

  static Data data(int n, long seed, double noise) {
    Random r = new Random(seed);
    double[][] m = new double[DY][DX];
    Random mr = new Random(42);
    for (double[] row : m) {
      for (int j = 0; j < DX; j++) {
        row[j] = mr.nextGaussian();
      }
    }
    List<Embedding> imgs = new ArrayList<>();
    List<Embedding> caps = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      float[] y = new float[DY];
      for (int j = 0; j < DY; j++) {
        y[j] = (float) r.nextGaussian();
      }
      String imageId = "img-" + seed + "-" + i + ".jpg";
      imgs.add(embedding(imageId, Modality.IMAGE, IMAGE, y, null));
      for (int c = 0; c < 3; c++) {
        float[] x = new float[DX];
        for (int k = 0; k < DX; k++) {
          double v = 0;
          for (int j = 0; j < DY; j++) {
            v += y[j] * m[j][k];
          }
          x[k] = (float) (v + noise * r.nextGaussian());
        }
        caps.add(embedding(imageId + "#" + c, Modality.TEXT, TEXT, x, imageId));
      }
    }
    return new Data(imgs, caps);
  }

  static Embedding embedding(String id, Modality modality, EncoderIdentity enc, float[] v, String paired) {
    List<Float> list = new ArrayList<>();
    for (float f : v) {
      list.add(f);
    }
    return Embedding.newBuilder().setId(id).setModality(modality).setEncoderInfo(enc).setVector(list)
        .setPairedImageId(paired).setCreatedAt(T0).build();
  }

  @BeforeEach
  void start() {
    start(List.of());
  }

  void start(List<LearnedOptions> learned) {
    start(learned, Integer.MAX_VALUE);
  }

  void start(List<LearnedOptions> learned, int maxModelBytes) {
    // fits run on the test thread: results are published at the next punctuation
    start(learned, maxModelBytes, DirectExecutorService::new);
  }

  /** The trainer's settings for these tests: small thresholds, a small grid, refits on the driver's clock. */
  record Setup(PlatformConfig platform, TrainerConfig config) {}

  static Setup smallSetup(Path work, List<LearnedOptions> learned, int maxModelBytes) {
    ConfigSource source = ConfigSource.of(Map.of("XMODAL_WORK_DIR", work.toString(), "KAFKA_BOOTSTRAP_SERVERS",
        "ttd:9092", "XMODAL_TRAINER_MIN_PAIRS", "50", "XMODAL_TRAINER_MIN_HELD_OUT", "5",
        "XMODAL_TRAINER_REFIT_PAIRS", "100", "XMODAL_METRICS_INTERVAL", "1h"));
    PlatformConfig platform = PlatformConfig.from(source);
    TrainerConfig base = TrainerConfig.from(source, platform);
    ModelSearch.Options small = new ModelSearch.Options(new double[] {0.1}, new double[] {0.1}, new int[] {4, 8},
        new double[] {0, 1}, List.of(HubnessCorrection.NONE), false,
        List.of(Method.LEAST_SQUARES, Method.PROCRUSTES, Method.CCA));
    return new Setup(platform, new TrainerConfig(base.applicationId(), base.mappingName(), base.heldOutPercent(),
        base.refitEveryPairs(), base.refitInterval(), base.minTrainingPairs(), base.minHeldOutImages(), small,
        learned, base.allPairs(), base.learnedMaxPairs(), base.references(), base.dlqPayloadCap(), maxModelBytes, base.metricsInterval()));
  }

  void start(List<LearnedOptions> learned, int maxModelBytes, Supplier<ExecutorService> fitExecutors) {
    Setup setup = smallSetup(work, learned, maxModelBytes);
    startWith(setup.platform(), setup.config(), fitExecutors);
  }

  void startWith(PlatformConfig platform, TrainerConfig config, Supplier<ExecutorService> fitExecutors) {
    topics = TopicCatalogue.create(platform.topics(), new PlainAvroSerdes());
    Properties props = StreamsSettings.properties(platform, config.applicationId(), topics, 1024);
    driver = new TopologyTestDriver(TrainerTopology.buildTopology(config, topics, fitExecutors), props, T0);
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
  }

  @AfterEach
  void stop() {
    driver.close();
  }

  void pipe(Data d, boolean captionsFirst) {
    if (captionsFirst) {
      d.captions().forEach(c -> texts.pipeInput(c.getId(), c));
      d.images().forEach(i -> images.pipeInput(i.getId(), i));
    } else {
      d.images().forEach(i -> images.pipeInput(i.getId(), i));
      d.captions().forEach(c -> texts.pipeInput(c.getId(), c));
    }
  }

  void tick() {
    driver.advanceWallClockTime(Duration.ofSeconds(1));
    driver.advanceWallClockTime(Duration.ofSeconds(1));
  }

  static long heldOutCaptions(Data d) {
    return d.captions().stream().filter(c -> HeldOut.isHeldOut(c.getPairedImageId(), 10)).count();
  }

  @Test
  void shouldPairEitherOrderAndPublishAFirstVersionChosenOnTheHeldOutPairsThenFittedOnAll() {
    Data half1 = data(100, 1);
    Data half2 = data(100, 2);
    pipe(half1, true);   // captions before their images
    pipe(half2, false);  // images before their captions

    tick();

    List<MappingModel> published = mappings.readValuesToList();
    assertThat(published).hasSize(1);
    MappingModel v1 = published.get(0);
    long allPairs = half1.captions().size() + half2.captions().size();
    long held = heldOutCaptions(half1) + heldOutCaptions(half2);
    assertThat(held).isPositive();
    assertThat(v1.getName()).isEqualTo("default");
    assertThat(v1.getVersion()).isEqualTo(1);
    // chosen and scored on the training pairs alone, then the closed form fitted again on every pair
    assertThat(v1.getPairsUsed()).isEqualTo(allPairs);
    assertThat(v1.getHeldOutMetrics()).containsEntry(MappingCodec.ALL_PAIRS_METRIC, 1.0)
        .containsEntry("fit.training_pairs", (double) (allPairs - held));
    assertThat(v1.getParentVersion()).isNull();
    assertThat(v1.getTextEncoder()).isEqualTo(TEXT);
    assertThat(v1.getImageEncoder()).isEqualTo(IMAGE);
    assertThat(v1.getHeldOutMetrics()).containsKeys("t2i.r1", "t2i.r5", "t2i.r10", "i2t.r1", "i2t.r5", "i2t.r10",
        "rsum");
    assertThat(v1.getHeldOutMetrics().get("t2i.r10")).isGreaterThan(50);
    // what the next gate needs to know whether this score is comparable: the held-out set it was taken on
    Refit.Recorded recorded = FitProcessor.recorded(v1);
    assertThat(recorded).isNotNull();
    assertThat(recorded.captions()).isEqualTo(held);
    assertThat(recorded.images()).isEqualTo(v1.getHeldOutMetrics().get("heldout.images").longValue()).isPositive();
    assertThat(recorded.recall().rsum()).isEqualTo(v1.getHeldOutMetrics().get("rsum"));
    // every candidate's held-out recall went to the metrics, promoted or not
    List<MetricEvent> m = metrics.readValuesToList();
    assertThat(m).filteredOn(e -> e.getName().equals("mapping.heldout.rsum")).hasSizeGreaterThanOrEqualTo(4)
        .anySatisfy(e -> assertThat(e.getTags()).containsEntry("promoted", "true").containsEntry("version", "1"))
        .anySatisfy(e -> assertThat(e.getTags()).containsEntry("promoted", "false"));
    assertThat(m).filteredOn(e -> e.getName().equals("mapping.promoted")).extracting(MetricEvent::getValue)
        .containsExactly(1.0);
  }

  @Test
  void shouldShutDownTheFitThreadOfATaskWhenItClosesSoReassignmentsLeakNoThreads() throws Exception {
    stop();
    List<ExecutorService> created = new ArrayList<>();
    for (int assignment = 0; assignment < 3; assignment++) {
      // Given the fit task assigned here, with the fit thread the services use, and a refit started on it
      start(List.of(), Integer.MAX_VALUE, () -> {
        ExecutorService e = FitExecutors.create();
        created.add(e);
        return e;
      });
      pipe(data(100, 10 + assignment), false);
      tick();
      assertThat(created).hasSize(assignment + 1);
      assertThat(created.get(assignment).isShutdown()).isFalse();
      assertThat(fitThreads()).isPositive();

      // When the task closes (revoked, moved, or the service stops)
      driver.close();

      // Then its fit thread ends with it
      assertThat(created.get(assignment).awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    }
    assertThat(created).hasSize(3).allMatch(ExecutorService::isTerminated);
    // a terminated executor's worker can still be on its way out: wait for it, boundedly, then count
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().equals("mapping-trainer-fit")) {
        t.join(30_000);
      }
    }
    assertThat(fitThreads()).isZero();
    start();
  }

  private static long fitThreads() {
    return Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.isAlive() && t.getName().equals("mapping-trainer-fit")).count();
  }

  @Test
  void shouldTrainLearnedMapsFromTheWeightedCcaAndScoreThemLikeTheClosedForms() {
    stop();
    start(smallLearned());
    // noisy pairs: the closed forms leave something to learn
    pipe(data(300, 1, 6.0), false);

    tick();

    MappingModel v1 = mappings.readValuesToList().get(0);
    List<MetricEvent> rsums = metrics.readValuesToList().stream()
        .filter(e -> e.getName().equals("mapping.heldout.rsum")).toList();
    // GMLP was trained, scored on the held-out pairs and reported like every closed form; having beaten its start,
    // it left CONTRASTIVE (its fallback) untrained
    assertThat(rsums).extracting(e -> e.getTags().get("method"))
        .contains("CCA", "LEAST_SQUARES", "PROCRUSTES", "GMLP").doesNotContain("CONTRASTIVE");
    // the published version is the best candidate, whichever family it came from
    double best = rsums.stream().mapToDouble(MetricEvent::getValue).max().orElseThrow();
    assertThat(v1.getHeldOutMetrics().get("rsum")).isEqualTo(best);
    // the learned maps started from the best weighted CCA, so they are at least as good on the held-out pairs
    double cca = rsums.stream().filter(e -> e.getTags().get("candidate").contains("w=σ"))
        .filter(e -> e.getTags().get("method").equals("CCA")).mapToDouble(MetricEvent::getValue).max().orElseThrow();
    assertThat(rsums).filteredOn(e -> e.getTags().get("method").equals("GMLP"))
        .allSatisfy(e -> assertThat(e.getValue()).isGreaterThan(cca));
    // here the gMLP wins; its weights travel in the event and decode to the same map for query-stream
    assertThat(v1.getMethod()).isEqualTo(io.xmodal.schemas.MappingMethod.GMLP);
    assertThat(MappingCodec.fromAvro(v1)).isInstanceOf(io.xmodal.mapping.GmlpMap.class);
  }

  static List<LearnedOptions> smallLearned() {
    return io.xmodal.mapping.Method.learnedMethods().stream()
        .map(k -> new LearnedOptions(k, LearnedOptions.Loss.INFONCE, 3, 3, 64, 1e-3, 0.1, 8, 3, DeviceChoice.CPU))
        .toList();
  }

  @Test
  void shouldPassOverABetterCandidateWhoseEventWouldNotFitARecord() {
    Data d = data(300, 1, 6.0);
    stop();
    start(smallLearned());
    pipe(d, false);
    tick();
    MappingModel unlimited = mappings.readValuesToList().get(0);
    assertThat(unlimited.getMethod()).isEqualTo(io.xmodal.schemas.MappingMethod.GMLP);
    int gmlpBytes = FitProcessor.encodedSize(unlimited);

    // the same refit where the gMLP's event is one byte over the limit
    stop();
    start(smallLearned(), gmlpBytes - 1);
    pipe(d, false);
    tick();

    MappingModel v1 = mappings.readValuesToList().get(0);
    assertThat(v1.getMethod()).isNotEqualTo(io.xmodal.schemas.MappingMethod.GMLP);
    assertThat(FitProcessor.encodedSize(v1)).isLessThan(gmlpBytes);
    assertThat(v1.getHeldOutMetrics().get("rsum")).isLessThanOrEqualTo(unlimited.getHeldOutMetrics().get("rsum"));
    List<MetricEvent> m = metrics.readValuesToList();
    assertThat(m).filteredOn(e -> e.getName().equals("mapping.too_large")).isNotEmpty()
        .allSatisfy(e -> assertThat(e.getValue()).isGreaterThan(gmlpBytes - 1));
    assertThat(m).filteredOn(e -> e.getName().equals("mapping.heldout.rsum"))
        .filteredOn(e -> "true".equals(e.getTags().get("promoted"))).singleElement()
        .satisfies(e -> assertThat(e.getTags().get("method")).isEqualTo(v1.getMethod().name()));
  }

  @Test
  void shouldRefuseACandidateWorseThanTheLiveVersion() {
    Data d = data(400, 3, 6.0);
    // a live version that has seen the held-out pairs themselves: no honest candidate can beat it there
    List<float[]> hx = new ArrayList<>();
    List<float[]> hy = new ArrayList<>();
    Map<String, Embedding> byId = new java.util.HashMap<>();
    d.images().forEach(i -> byId.put(i.getId(), i));
    for (Embedding c : d.captions()) {
      if (HeldOut.isHeldOut(c.getPairedImageId(), 10)) {
        hx.add(Vectors.l2(floats(c)));
        hy.add(Vectors.l2(floats(byId.get(c.getPairedImageId()))));
      }
    }
    SufficientStats cheat = SufficientStats.of(hx.toArray(float[][]::new), hy.toArray(float[][]::new));
    MappingModel live = MappingCodec.toAvro(Fits.leastSquares(cheat, 1e-6, true, Fits.Direction.I2T),
        new MappingCodec.Meta("default", 5, TEXT, IMAGE, hx.size(), Map.of(), T0, null));
    mappingsIn.pipeInput("default", live);

    pipe(d, false);
    tick();

    assertThat(mappings.isEmpty()).as("no version published").isTrue();
    List<MetricEvent> m = metrics.readValuesToList();
    assertThat(m).filteredOn(e -> e.getName().equals("mapping.refused")).hasSize(1);
    assertThat(m).filteredOn(e -> e.getName().equals("mapping.live.rsum")).singleElement()
        .satisfies(e -> assertThat(e.getTags()).containsEntry("version", "5"));
    assertThat(m).filteredOn(e -> e.getName().equals("mapping.heldout.rsum"))
        .allSatisfy(e -> assertThat(e.getTags()).containsEntry("promoted", "false"));
  }

  @Test
  void shouldGateAVersionFittedOnAllPairsByItsRecipeFittedOnTheTrainingPairsAlone() {
    Data first = data(200, 8, 6.0);
    pipe(first, false);
    tick();
    MappingModel v1 = mappings.readValue();
    assertThat(MappingCodec.fittedOnAllPairs(v1)).isTrue();
    metrics.readValuesToList();

    // When more pairs arrive and the trainer refits
    Data more = data(100, 9, 6.0);
    pipe(more, false);
    tick();

    // Then the live v1 was scored through its recipe fitted on the current training pairs, not as the map that has
    // seen the held-out pairs (which would score higher there and refuse every honest candidate)
    List<MetricEvent> m = metrics.readValuesToList();
    double liveRsum = m.stream().filter(e -> e.getName().equals("mapping.live.rsum")).mapToDouble(MetricEvent::getValue)
        .findFirst().orElseThrow();
    double asItIs = heldOutRsum(MappingCodec.fromAvro(v1), first, more);
    assertThat(liveRsum).isLessThan(asItIs);
    // and the best candidate, the same or a better recipe on the same training pairs, is published
    MappingModel v2 = mappings.readValue();
    assertThat(v2.getVersion()).isEqualTo(2);
    assertThat(v2.getHeldOutMetrics().get("rsum")).isGreaterThanOrEqualTo(liveRsum);
    assertThat(MappingCodec.fittedOnAllPairs(v2)).isTrue();
  }

  @Test
  void shouldPublishTheTrainingOnlyFitWhenAllPairsIsOff() {
    stop();
    Setup setup = smallSetup(work, List.of(), Integer.MAX_VALUE);
    TrainerConfig c = setup.config();
    startWith(setup.platform(), new TrainerConfig(c.applicationId(), c.mappingName(), c.heldOutPercent(),
        c.refitEveryPairs(), c.refitInterval(), c.minTrainingPairs(), c.minHeldOutImages(), c.search(), c.learned(),
        false, c.learnedMaxPairs(), c.references(), c.dlqPayloadCap(), c.maxModelBytes(), c.metricsInterval()),
        DirectExecutorService::new);
    Data d = data(200, 10);
    pipe(d, false);
    tick();

    MappingModel v1 = mappings.readValue();
    assertThat(v1.getPairsUsed()).isEqualTo(d.captions().size() - heldOutCaptions(d));
    assertThat(MappingCodec.fittedOnAllPairs(v1)).isFalse();
  }

  /** rsum of {@code map} on the held-out pairs of the given data, as the trainer scores. */
  private static double heldOutRsum(io.xmodal.mapping.CrossModalMap map, Data... parts) {
    Map<String, Embedding> imageById = new java.util.HashMap<>();
    List<float[]> caps = new ArrayList<>();
    List<String> capImage = new ArrayList<>();
    for (Data d : parts) {
      d.images().forEach(i -> imageById.put(i.getId(), i));
      for (Embedding c : d.captions()) {
        if (HeldOut.isHeldOut(c.getPairedImageId(), 10)) {
          caps.add(Vectors.l2(floats(c)));
          capImage.add(c.getPairedImageId());
        }
      }
    }
    List<String> ids = capImage.stream().distinct().toList();
    int[] captionImage = capImage.stream().mapToInt(ids::indexOf).toArray();
    float[][] imgs = ids.stream().map(id -> Vectors.l2(floats(imageById.get(id)))).toArray(float[][]::new);
    return io.xmodal.mapping.Recall.evaluate(map, io.xmodal.mapping.Linalg.floatMatrix(caps.toArray(float[][]::new)),
        captionImage, io.xmodal.mapping.Linalg.floatMatrix(imgs), null, null).rsum();
  }

  @Test
  void shouldNumberTheNextVersionAfterTheLiveOneAndNameItsParent() {
    Data d = data(200, 4);
    MappingModel weak = MappingCodec.toAvro(Fits.procrustesPad(SufficientStats.of(new float[][] {{1, 0, 0, 0, 0, 0, 0,
        0}, {0, 1, 0, 0, 0, 0, 0, 0}}, new float[][] {new float[DY], new float[DY]}), false),
        new MappingCodec.Meta("default", 7, TEXT, IMAGE, 2, Map.of(), T0, null));
    mappingsIn.pipeInput("default", weak);

    pipe(d, false);
    tick();

    MappingModel next = mappings.readValue();
    assertThat(next.getVersion()).isEqualTo(8);
    assertThat(next.getParentVersion()).isEqualTo(7L);
  }

  @Test
  void shouldReplaceAReEncodedItemsPairsInsteadOfCountingThemTwice() {
    Data d = data(100, 5);
    pipe(d, false);
    driver.advanceWallClockTime(Duration.ofHours(1));
    Map<String, Double> before = counts();

    // the same items re-encoded (new vectors): every caption and image again
    Data again = data(100, 5, 1.5);
    pipe(again, true);
    driver.advanceWallClockTime(Duration.ofHours(1));
    Map<String, Double> after = counts();

    long held = heldOutCaptions(d);
    assertThat(before).containsEntry("trainer.pairs.training", (double) (300 - held))
        .containsEntry("trainer.pairs.held_out", (double) held);
    assertThat(after).isEqualTo(before);
  }

  @Test
  void shouldLeaveDeletedCaptionsAndImagesOutOfTheNextRefit() {
    Data d = data(200, 6);
    pipe(d, false);
    List<Embedding> trainingImages = d.images().stream().filter(i -> !HeldOut.isHeldOut(i.getId(), 10)).toList();
    Embedding deletedImage = trainingImages.get(0);
    Embedding deletedCaption = d.captions().stream()
        .filter(c -> c.getPairedImageId().equals(trainingImages.get(1).getId())).findFirst().orElseThrow();

    // When one image (three pairs) and one caption of another image are deleted before the first refit
    images.pipeInput(deletedImage.getId(), (Embedding) null);
    texts.pipeInput(deletedCaption.getId(), (Embedding) null);
    tick();

    // Then the first version is fitted without their four pairs
    MappingModel v1 = mappings.readValue();
    long held = heldOutCaptions(d);
    assertThat(MappingCodec.trainingPairs(v1)).isEqualTo(d.captions().size() - held - 4);

    // And an image that comes back brings its waiting captions' pairs back, while the deleted caption stays gone
    images.pipeInput(deletedImage.getId(), deletedImage);
    driver.advanceWallClockTime(Duration.ofHours(1));
    assertThat(counts()).containsEntry("trainer.pairs.training", (double) (d.captions().size() - held - 1));
  }

  @Test
  void shouldSkipARecordOfAnotherEventTypeOnAnEmbeddingsTopicAndKeepTraining() {
    var raw = driver.createInputTopic(topics.imageEmbeddings().name(), new StringSerializer(),
        new org.apache.kafka.common.serialization.ByteArraySerializer());
    byte[] aQuery = new PlainAvroSerdes().valueSerde(io.xmodal.schemas.Query.class).serializer().serialize("t",
        io.xmodal.schemas.Query.newBuilder().setQueryId("q").setModality(Modality.TEXT).setText("x")
            .setMappingName("default").setK(5).setSentAt(T0).build());

    raw.pipeInput("img-x", aQuery);
    pipe(data(200, 8), false);
    tick();

    assertThat(mappings.readValuesToList()).extracting(MappingModel::getVersion).containsExactly(1L);
  }

  @Test
  void shouldLeaveAPairWithANonFiniteVectorOutOfTheFits() {
    Data d = data(200, 9);
    Embedding trainingCaption = d.captions().stream().filter(c -> !HeldOut.isHeldOut(c.getPairedImageId(), 10))
        .findFirst().orElseThrow();
    float[] poisoned = floats(trainingCaption);
    poisoned[3] = Float.NaN;
    List<Embedding> captions = new ArrayList<>(d.captions());
    captions.set(captions.indexOf(trainingCaption), embedding(trainingCaption.getId(), Modality.TEXT, TEXT, poisoned,
        trainingCaption.getPairedImageId()));

    pipe(new Data(d.images(), captions), false);
    tick();
    driver.advanceWallClockTime(Duration.ofHours(1));

    MappingModel v1 = mappings.readValue();
    assertThat(MappingCodec.trainingPairs(v1)).isEqualTo(d.captions().size() - heldOutCaptions(d) - 1);
    assertThat(v1.getHeldOutMetrics().get("rsum")).isPositive();
    assertThat(counts()).containsEntry("trainer.pairs.refused", 1.0);
  }

  @Test
  void shouldMoveACaptionToItsNewImageWithoutKeepingTheOldPair() {
    Data d = data(100, 7);
    pipe(d, false);
    driver.advanceWallClockTime(Duration.ofHours(1));
    Map<String, Double> before = counts();

    // When a training caption is corrected to describe another training image, then deleted
    List<Embedding> training = d.captions().stream().filter(c -> !HeldOut.isHeldOut(c.getPairedImageId(), 10))
        .toList();
    Embedding moved = Embedding.newBuilder(training.get(0)).setPairedImageId(training.get(5).getPairedImageId())
        .build();
    texts.pipeInput(moved.getId(), moved);
    driver.advanceWallClockTime(Duration.ofHours(1));
    Map<String, Double> afterMove = counts();
    texts.pipeInput(moved.getId(), (Embedding) null);
    driver.advanceWallClockTime(Duration.ofHours(1));

    // Then it counts once while it lives and not at all once deleted
    assertThat(afterMove).isEqualTo(before);
    assertThat(counts().get("trainer.pairs.training")).isEqualTo(before.get("trainer.pairs.training") - 1);
  }

  private Map<String, Double> counts() {
    Map<String, Double> out = new java.util.HashMap<>();
    metrics.readValuesToList().stream().filter(m -> m.getName().startsWith("trainer.pairs."))
        .forEach(m -> out.put(m.getName(), m.getValue()));
    return out;
  }

  static float[] floats(Embedding e) {
    float[] v = new float[e.getVector().size()];
    for (int i = 0; i < v.length; i++) {
      v[i] = e.getVector().get(i);
    }
    return v;
  }
}
