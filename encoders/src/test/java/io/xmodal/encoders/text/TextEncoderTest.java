package io.xmodal.encoders.text;

import static org.assertj.core.api.Assertions.assertThat;

import io.xmodal.device.DeviceChoice;
import io.xmodal.encoders.EncoderSession;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

public class TextEncoderTest {

  static final List<String> SENTENCES = List.of(
      "A dog runs through the snow .",
      "A black dog is running through the grass",
      "Two children play on a beach near the ocean.",
      "A man in a red jacket climbs a rock wall .",
      "a girl in a pink dress is climbing up a set of stairs in an entry way .",
      "The quick brown fox jumps over the lazy dog.",
      "Kafka Streams processes records one at a time, with exactly-once semantics.",
      "bicycle",
      "A",
      "Une femme marche dans la rue avec un parapluie.",
      "Ein Hund spielt im Park mit einem Ball.",
      "犬が雪の中を走っている",
      "Émile's café serves crème brûlée — naïve coöperation!",
      "A surfer rides a large wave while onlookers watch from the pier at sunset, the sky turning orange and purple "
          + "over the water as gulls circle overhead and children build sandcastles near the dunes.",
      "Numbers: 3.14159, 42, and 1,000,000 people.",
      "emoji 🐕 and 🏄 should tokenise to [UNK] or pieces",
      "   leading and trailing spaces   ",
      "UPPER CASE SHOUTING ABOUT A DOG",
      "A boy jumps off a diving board into a swimming pool .",
      "Several people are walking down a busy city street at night .",
      "A brown and white dog jumps onto a beige leather chair .",
      "Is cross-modal information retrieval possible without training?",
      "the the the the the the the the",
      "A baseball player slides into second base while the fielder reaches for the ball .");

  static TextEncoder encoder;

  @BeforeAll
  static void load(@TempDir Path cache) {
    encoder = TextEncoder.load(TextModel.MINILM_L6_V2, cache, DeviceChoice.CPU, TextEncoder.DEFAULT_MAX_TOKENS, 0);
  }

  @AfterAll
  static void close() {
    encoder.close();
  }

  @ParameterizedTest
  @EnumSource(value = TextModel.class, names = {"MINILM_L6_V2", "BGE_SMALL_EN_V15", "E5_SMALL_V2"})
  void shouldMatchLangchain4jsReferenceImplementationOnEverySentence(TextModel model, @TempDir Path dir)
      throws Exception {
    Path in = dir.resolve("sentences.txt");
    Path out = dir.resolve("vectors.txt");
    Files.write(in, SENTENCES, StandardCharsets.UTF_8);
    Process reference = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-cp", System.getProperty("java.class.path"), LangchainReference.class.getName(), in.toString(), out.toString(),
        model.name())
        .redirectErrorStream(true).redirectOutput(dir.resolve("reference.log").toFile()).start();
    assertThat(reference.waitFor(120, TimeUnit.SECONDS)).as("reference JVM finished").isTrue();
    assertThat(reference.exitValue()).as("reference JVM: %s", Files.readString(dir.resolve("reference.log"))).isZero();
    List<float[]> expected = new ArrayList<>();
    for (String line : Files.readAllLines(out)) {
      String[] parts = line.split(" ");
      float[] v = new float[parts.length];
      for (int i = 0; i < parts.length; i++) {
        v[i] = Float.parseFloat(parts[i]);
      }
      expected.add(v);
    }

    float[][] ours;
    try (TextEncoder tested = model == TextModel.MINILM_L6_V2 ? null
        : TextEncoder.load(model, dir.resolve("models"), DeviceChoice.CPU, TextEncoder.DEFAULT_MAX_TOKENS, 0);
         EncoderSession<String> session = (tested == null ? encoder : tested).newSession()) {
      ours = session.encode(SENTENCES);
    }

    assertThat(expected).hasSize(SENTENCES.size());
    for (int i = 0; i < SENTENCES.size(); i++) {
      assertThat(ours[i]).hasSize(384);
      assertThat(cosine(ours[i], expected.get(i))).as("cosine for '%s'", SENTENCES.get(i)).isGreaterThanOrEqualTo(0.9999);
    }
  }

  @Test
  void shouldGiveTheSameVectorAloneAsInABatch() {
    // more sentences than one call takes: the batch runs sorted by length in chunks, and comes back in its order
    assertThat(SENTENCES).hasSizeGreaterThan(2 * TextEncoder.CHUNK);
    try (EncoderSession<String> session = encoder.newSession()) {
      float[][] batch = session.encode(SENTENCES);
      for (int i = 0; i < SENTENCES.size(); i++) {
        float[] alone = session.encode(List.of(SENTENCES.get(i)))[0];
        assertThat(cosine(alone, batch[i])).isGreaterThan(0.99999);
      }
    }
  }

  @Test
  void shouldReturnUnitVectorsThatPlaceParaphrasesClose() {
    try (EncoderSession<String> session = encoder.newSession()) {
      float[][] v = session.encode(List.of("A dog runs through the snow .", "A dog is running in the snow",
          "Stock markets fell sharply on Tuesday."));
      assertThat(norm(v[0])).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
      assertThat(cosine(v[0], v[1])).isGreaterThan(cosine(v[0], v[2]) + 0.3);
    }
  }

  @Test
  void shouldDescribeItselfForDownstreamConsumers() {
    assertThat(encoder.info().name()).isEqualTo("all-MiniLM-L6-v2");
    assertThat(encoder.info().dimension()).isEqualTo(384);
    assertThat(encoder.info().version()).isEqualTo("langchain4j-embeddings-1.19.0-beta29");
    assertThat(encoder.info().checksum()).hasSize(64);
  }

  /** Cosine similarity, for this package's tests and the composite encoder's. */
  public static double cosine(float[] a, float[] b) {
    double dot = 0;
    double na = 0;
    double nb = 0;
    for (int i = 0; i < a.length; i++) {
      dot += a[i] * b[i];
      na += a[i] * a[i];
      nb += b[i] * b[i];
    }
    return dot / Math.sqrt(na * nb);
  }

  static double norm(float[] a) {
    double s = 0;
    for (float f : a) {
      s += f * f;
    }
    return Math.sqrt(s);
  }
}
