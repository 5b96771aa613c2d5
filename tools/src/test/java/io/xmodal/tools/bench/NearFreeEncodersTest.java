package io.xmodal.tools.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.xmodal.encoders.EncoderSession;
import io.xmodal.encoders.EncoderSettings;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The ceiling mode's near-free models load in ONNX Runtime and answer with the real encoders' shapes. */
class NearFreeEncodersTest {

  @TempDir
  Path work;

  @Test
  void shouldGiveOneVectorOfTheRealDimensionPerImageAndPerCaption() {
    // Given the default encoder settings on the CPU
    Map<String, String> settings = Map.of("XMODAL_DEVICE", "cpu");
    EncoderSettings encoders = EncoderSettings.from(k -> Optional.ofNullable(settings.get(k)), work.resolve("shared"),
        work);

    // When the near-free models are written, loaded and asked for three images and two captions
    try (NearFreeEncoders nearFree = NearFreeEncoders.load(encoders, work.resolve("near-free"));
         EncoderSession<BufferedImage> images = nearFree.models().image().sessions().get();
         EncoderSession<String> texts = nearFree.models().text().sessions().get()) {
      float[][] imageVectors = images.encode(List.of(square(Color.RED, 300), square(Color.BLUE, 224),
          square(Color.GREEN, 64)));
      float[][] textVectors = texts.encode(List.of("a dog runs on the beach", "two children"));

      // Then each comes back as one finite vector of the real model's dimension, and different inputs differ
      assertThat(imageVectors).hasNumberOfRows(3);
      for (float[] v : imageVectors) {
        assertThat(v).hasSize(2048 + 2048 + 1280); // the default composite's blocks, each as a near-free model
        assertFinite(v);
      }
      assertThat(imageVectors[0]).isNotEqualTo(imageVectors[1]);
      assertThat(textVectors).hasNumberOfRows(2);
      for (float[] v : textVectors) {
        assertThat(v).hasSize(3 * 384);
        assertFinite(v);
      }
      assertThat(nearFree.models().image().info().dimension()).isEqualTo(2048 + 2048 + 1280);
      assertThat(nearFree.models().image().info().blocks()).hasSize(3);
      assertThat(nearFree.models().text().info().dimension()).isEqualTo(3 * 384);
    }
  }

  private static void assertFinite(float[] v) {
    for (float x : v) {
      assertThat(Float.isFinite(x)).as("finite").isTrue();
    }
  }

  private static BufferedImage square(Color color, int size) {
    BufferedImage img = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = img.createGraphics();
    g.setColor(color);
    g.fillRect(0, 0, size, size);
    g.dispose();
    return img;
  }
}
