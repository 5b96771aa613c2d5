package io.xmodal.encoders.image;

import static org.assertj.core.api.Assertions.assertThat;

import io.xmodal.device.DeviceChoice;
import io.xmodal.encoders.EncoderSession;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class ImageEncoderTest {

  @TempDir
  Path cache;

  static final Path SHARED = Path.of(System.getProperty("xmodal.shared.dir", "../../shared"));
  static final Path IMAGES = SHARED.resolve("datasets").resolve("flickr8k").resolve("images");

  static final Set<Integer> DOGS = IntStream.rangeClosed(151, 268).boxed().collect(Collectors.toSet());
  static final Set<Integer> BICYCLES = Set.of(444, 671);
  static final Set<Integer> BASEBALL = Set.of(429, 981);
  /**
   * Balls: a volleyball the int8 ResNet-50 calls volleyball with exact int8 arithmetic (VNNI) and rugby ball, a close
   * second, in float; either way a ball, which a preprocessing bug would not give.
   */
  static final Set<Integer> BALLS = Set.of(429, 430, 574, 768, 805, 852, 890);

  /** Flickr8k dev images whose captions name the subject, with the ImageNet family the classifier must find. */
  static final Map<String, Set<Integer>> EXPECTED = Map.of(
      "2490687446_9d46fdf5a9.jpg", DOGS,
      "3419634480_c390f62a6e.jpg", DOGS,
      "443430496_3fea95a07d.jpg", DOGS,
      "3515904775_f8acc5909e.jpg", DOGS,
      "2992614450_b5a6692239.jpg", BICYCLES,
      "2863027424_9c75105660.jpg", BICYCLES,
      "2736508369_fd9ff0b42f.jpg", BASEBALL,
      "2290330500_e7bdaa58e1.jpg", BALLS);

  static List<Arguments> modelsAndKernels() {
    List<Arguments> out = new ArrayList<>();
    for (ImageModel model : ImageModel.values()) {
      // AUTO: what this CPU runs by default (int8 kernels where exact); FLOAT: the rewritten graph, on every CPU
      out.add(Arguments.of(model, Int8Kernels.AUTO));
      out.add(Arguments.of(model, Int8Kernels.FLOAT));
    }
    return out;
  }

  @ParameterizedTest
  @MethodSource("modelsAndKernels")
  void shouldClassifyChosenDevImagesIntoTheRightImageNetFamilyThroughTheSamePreprocessing(ImageModel model,
                                                                                        Int8Kernels kernels)
      throws Exception {
    // the classifier head of the same graph, fed by the same translator: a preprocessing bug cannot hide
    ImageModelSpec classifier = model.spec(SHARED.resolve("models"), ImageModelSpec.View.SINGLE).withOutput("output", 1000);
    List<String> labels = Files.readAllLines(SHARED.resolve("models").resolve("imagenet_synset.txt"));
    List<String> names = new ArrayList<>(EXPECTED.keySet());
    List<BufferedImage> images = new ArrayList<>();
    for (String name : names) {
      images.add(ImageDecoder.decodeRgb(Files.readAllBytes(IMAGES.resolve(name))));
    }

    float[][] logits;
    try (ImageEncoder encoder = ImageEncoder.load(classifier, DeviceChoice.CPU, 0, kernels, cache);
         EncoderSession<BufferedImage> session = encoder.newSession()) {
      logits = session.encode(images);
    }

    // top 1 must be the right family; the top 5 in the message say how close a miss was
    for (int i = 0; i < names.size(); i++) {
      List<Integer> top5 = topK(logits[i], 5);
      String shown = top5.stream().map(labels::get).collect(Collectors.joining(", "));
      assertThat(EXPECTED.get(names.get(i))).as("%s classified as %s", names.get(i), shown).contains(top5.get(0));
    }
  }

  static List<Integer> topK(float[] v, int k) {
    return IntStream.range(0, v.length).boxed()
        .sorted((a, b) -> Float.compare(v[b], v[a]))
        .limit(k)
        .collect(Collectors.toList());
  }

  @Test
  void shouldEmbedIntoThePooledPenultimateLayerTheSameInABatchAsAlone() throws Exception {
    List<BufferedImage> images = new ArrayList<>();
    for (String name : List.of("2490687446_9d46fdf5a9.jpg", "2992614450_b5a6692239.jpg", "2290330500_e7bdaa58e1.jpg")) {
      images.add(ImageDecoder.decodeRgb(Files.readAllBytes(IMAGES.resolve(name))));
    }
    try (ImageEncoder encoder = ImageEncoder.load(ImageModelSpec.mobileNetV2Features(SHARED.resolve("models")),
        DeviceChoice.CPU, 0); EncoderSession<BufferedImage> session = encoder.newSession()) {
      float[][] batch = session.encode(images);
      float[] alone = session.encode(List.of(images.get(1)))[0];

      assertThat(encoder.info().dimension()).isEqualTo(1280);
      assertThat(encoder.info().name()).isEqualTo("mobilenetv2-12-int8-features");
      assertThat(batch).hasNumberOfRows(3);
      assertThat(batch[0]).hasSize(1280);
      for (int k = 0; k < 1280; k++) {
        assertThat(alone[k]).isCloseTo(batch[1][k], org.assertj.core.data.Offset.offset(1e-3f));
      }
      // pooled ReLU6 activations: non-negative, and not all zero
      assertThat(IntStream.range(0, 1280).filter(k -> batch[0][k] < 0).count()).isZero();
      assertThat(IntStream.range(0, 1280).filter(k -> batch[0][k] > 0).count()).isGreaterThan(100);
    }
  }

  @Test
  void shouldRunABatchLargerThanOneCallInCallsAndReturnItsVectorsInOrder() throws Exception {
    // a batch of more images than one model call takes runs in calls of CHUNK; each vector is the image's own
    List<BufferedImage> images = new ArrayList<>();
    try (var files = Files.list(IMAGES)) {
      for (Path file : files.sorted().limit(2L * ImageEncoder.CHUNK + 3).toList()) {
        images.add(ImageDecoder.decodeRgb(Files.readAllBytes(file)));
      }
    }
    try (ImageEncoder encoder = ImageEncoder.load(ImageModelSpec.mobileNetV2Features(SHARED.resolve("models")),
        DeviceChoice.CPU, 0); EncoderSession<BufferedImage> session = encoder.newSession()) {
      float[][] batch = session.encode(images);

      assertThat(batch).hasNumberOfRows(images.size());
      for (int i = 0; i < images.size(); i++) {
        float[] alone = session.encode(List.of(images.get(i)))[0];
        for (int k = 0; k < alone.length; k++) {
          assertThat(batch[i][k]).as("image %d, feature %d", i, k)
              .isCloseTo(alone[k], org.assertj.core.data.Offset.offset(1e-3f));
        }
      }
    }
  }

  @Test
  void shouldGiveTheSameVectorsForABatchWhateverBatchOfTheSameSizeCameBefore() throws Exception {
    // a session encodes batch after batch (encode-stream keeps one per task): nothing of a batch may leak into the
    // next one, and a batch's vectors do not depend on what came before
    List<BufferedImage> a = new ArrayList<>();
    List<BufferedImage> b = new ArrayList<>();
    for (String name : List.of("2490687446_9d46fdf5a9.jpg", "2992614450_b5a6692239.jpg")) {
      a.add(ImageDecoder.decodeRgb(Files.readAllBytes(IMAGES.resolve(name))));
    }
    b.add(ImageDecoder.decodeRgb(Files.readAllBytes(IMAGES.resolve("2290330500_e7bdaa58e1.jpg"))));
    b.add(a.get(0));
    try (ImageEncoder encoder = ImageEncoder.load(ImageModelSpec.mobileNetV2Features(SHARED.resolve("models"))
        .withView(ImageModelSpec.View.FLIP), DeviceChoice.CPU, 0); EncoderSession<BufferedImage> session = encoder.newSession()) {
      float[][] first = session.encode(a);
      float[][] other = session.encode(b);
      float[][] again = session.encode(a);
      float[] aloneB0 = session.encode(List.of(b.get(0)))[0];

      assertThat(again[0]).containsExactly(first[0]);
      assertThat(again[1]).containsExactly(first[1]);
      for (int k = 0; k < aloneB0.length; k++) {
        assertThat(other[1][k]).isCloseTo(first[0][k], org.assertj.core.data.Offset.offset(1e-3f));
        assertThat(other[0][k]).isCloseTo(aloneB0[k], org.assertj.core.data.Offset.offset(1e-3f));
      }
    }
  }

  @Test
  void shouldEmbedResNetIntoItsPooled2048dFeaturesFromRgbInTheUnitRange() throws Exception {
    BufferedImage image = ImageDecoder.decodeRgb(Files.readAllBytes(IMAGES.resolve("2490687446_9d46fdf5a9.jpg")));
    try (ImageEncoder encoder = ImageEncoder.load(ImageModelSpec.resNet50Features(SHARED.resolve("models")),
        DeviceChoice.CPU, 0); EncoderSession<BufferedImage> session = encoder.newSession()) {
      float[] v = session.encode(List.of(image))[0];

      assertThat(encoder.info().name()).isEqualTo("resnet50-int8-features");
      assertThat(encoder.info().dimension()).isEqualTo(2048);
      assertThat(v).hasSize(2048);
      // pooled ReLU activations: non-negative, and not all zero
      assertThat(IntStream.range(0, 2048).filter(k -> v[k] < 0).count()).isZero();
      assertThat(IntStream.range(0, 2048).filter(k -> v[k] > 0).count()).isGreaterThan(200);
    }
  }

  @Test
  void shouldAverageAnImageWithItsMirrorImageWhenFlipAveraging() throws Exception {
    BufferedImage original = ImageDecoder.resize(
        ImageDecoder.decodeRgb(Files.readAllBytes(IMAGES.resolve("2992614450_b5a6692239.jpg"))), 224, 224);
    BufferedImage mirrored = new BufferedImage(224, 224, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < 224; y++) {
      for (int x = 0; x < 224; x++) {
        mirrored.setRGB(223 - x, y, original.getRGB(x, y));
      }
    }
    ImageModelSpec plain = ImageModelSpec.mobileNetV2Features(SHARED.resolve("models"));
    float[][] views;
    float[] averaged;
    String identity;
    try (ImageEncoder encoder = ImageEncoder.load(plain, DeviceChoice.CPU, 0);
         EncoderSession<BufferedImage> session = encoder.newSession()) {
      views = session.encode(List.of(original, mirrored));
    }
    try (ImageEncoder encoder = ImageEncoder.load(plain.withView(ImageModelSpec.View.FLIP), DeviceChoice.CPU, 0);
         EncoderSession<BufferedImage> session = encoder.newSession()) {
      averaged = session.encode(List.of(original))[0];
      identity = encoder.info().name();
    }

    assertThat(identity).isEqualTo("mobilenetv2-12-int8-features+hflip-avg");
    assertThat(averaged).hasSize(1280);
    double differ = 0;
    for (int k = 0; k < 1280; k++) {
      assertThat(averaged[k]).isCloseTo(0.5f * (views[0][k] + views[1][k]), org.assertj.core.data.Offset.offset(1e-3f));
      differ = Math.max(differ, Math.abs(views[0][k] - views[1][k]));
    }
    // the two views really differ, so the average is not trivially either of them
    assertThat(differ).isGreaterThan(0.05);
  }

  @Test
  void shouldAverageFiveCropsOfTheImageSeenAtNineSeventhsOfTheInputSizeWhenCropping() throws Exception {
    BufferedImage image = ImageDecoder.decodeRgb(Files.readAllBytes(IMAGES.resolve("2992614450_b5a6692239.jpg")));
    BufferedImage larger = ImageDecoder.resize(image, 288, 288);
    List<BufferedImage> crops = new ArrayList<>();
    for (int[] at : new int[][] {{0, 0}, {64, 0}, {0, 64}, {64, 64}, {32, 32}}) {
      BufferedImage crop = new BufferedImage(224, 224, BufferedImage.TYPE_INT_RGB);
      for (int y = 0; y < 224; y++) {
        for (int x = 0; x < 224; x++) {
          crop.setRGB(x, y, larger.getRGB(at[0] + x, at[1] + y));
        }
      }
      crops.add(crop);
    }
    ImageModelSpec plain = ImageModelSpec.mobileNetV2Features(SHARED.resolve("models"));
    float[][] views;
    float[][] cropped;
    String identity;
    try (ImageEncoder encoder = ImageEncoder.load(plain, DeviceChoice.CPU, 0);
         EncoderSession<BufferedImage> session = encoder.newSession()) {
      views = session.encode(crops);
    }
    try (ImageEncoder encoder = ImageEncoder.load(plain.withView(ImageModelSpec.View.CROPS), DeviceChoice.CPU, 0);
         EncoderSession<BufferedImage> session = encoder.newSession()) {
      // a batch of two: each image's five views are averaged into its own row, not mixed with the other image's
      cropped = session.encode(List.of(image, crops.get(4)));
      identity = encoder.info().name();
    }

    assertThat(identity).isEqualTo("mobilenetv2-12-int8-features+crop5@288");
    assertThat(cropped).hasNumberOfRows(2);
    double differ = 0;
    for (int k = 0; k < 1280; k++) {
      float mean = (views[0][k] + views[1][k] + views[2][k] + views[3][k] + views[4][k]) / 5;
      assertThat(cropped[0][k]).isCloseTo(mean, org.assertj.core.data.Offset.offset(1e-3f));
      differ = Math.max(differ, Math.abs(views[0][k] - views[3][k]));
    }
    // opposite corners really differ, so the mean is not any one crop
    assertThat(differ).isGreaterThan(0.05);
    assertThat(cropped[1]).isNotEqualTo(cropped[0]);
  }

  @Test
  void shouldPoolTheFiveCropWindowsOfOnePassCloseToTheFiveCropsAndFarFromOtherImages() throws Exception {
    List<BufferedImage> images = new ArrayList<>();
    for (String name : EXPECTED.keySet().stream().sorted().toList()) {
      images.add(ImageDecoder.decodeRgb(Files.readAllBytes(IMAGES.resolve(name))));
    }
    ImageModelSpec resnet = ImageModelSpec.resNet50Features(SHARED.resolve("models"));
    float[][] crops;
    float[][] windows;
    String identity;
    try (ImageEncoder encoder = ImageEncoder.load(resnet.withView(ImageModelSpec.View.CROPS), DeviceChoice.CPU, 0);
         EncoderSession<BufferedImage> session = encoder.newSession()) {
      crops = session.encode(images);
    }
    try (ImageEncoder encoder = ImageEncoder.load(resnet.withView(ImageModelSpec.View.WINDOWS), DeviceChoice.CPU, 0,
        Int8Kernels.AUTO, cache); EncoderSession<BufferedImage> session = encoder.newSession()) {
      windows = session.encode(images);
      identity = encoder.info().name();
    }

    assertThat(identity).isEqualTo("resnet50-int8-features+win5@288");
    assertThat(windows).hasNumberOfRows(images.size());
    for (int i = 0; i < images.size(); i++) {
      assertThat(windows[i]).hasSize(2048);
      double own = cosine(windows[i], crops[i]);
      // the same five windows of the same pixels; only what the windows' borders see differs
      assertThat(own).as("image %d against its own crops", i).isGreaterThan(0.9);
      for (int j = 0; j < images.size(); j++) {
        if (j != i) {
          assertThat(cosine(windows[i], crops[j])).as("image %d against image %d's crops", i, j).isLessThan(own);
        }
      }
    }
  }

  @Test
  void shouldRefuseWindowsForAModelWhosePooledFeatureMapCannotBeFoundAndSayWhatToUseInstead() {
    // MobileNetV2-int8 pools with the quantized QLinearGlobalAveragePool: no float feature map to pool windows of
    ImageModelSpec mobileNet = ImageModelSpec.mobileNetV2Features(SHARED.resolve("models"));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ImageEncoder.load(
            mobileNet.withView(ImageModelSpec.View.WINDOWS), DeviceChoice.CPU, 0, Int8Kernels.NATIVE, cache))
        .hasMessageContaining("0 GlobalAveragePool nodes").hasMessageContaining("use the view crops");
  }

  static double cosine(float[] a, float[] b) {
    double ab = 0;
    double aa = 0;
    double bb = 0;
    for (int k = 0; k < a.length; k++) {
      ab += (double) a[k] * b[k];
      aa += (double) a[k] * a[k];
      bb += (double) b[k] * b[k];
    }
    return ab / Math.sqrt(aa * bb);
  }

  static int argmax(float[] v) {
    int best = 0;
    for (int i = 1; i < v.length; i++) {
      if (v[i] > v[best]) {
        best = i;
      }
    }
    return best;
  }
}
