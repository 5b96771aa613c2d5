package io.xmodal.encoders.image;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ImageTranslatorTest {

  @Test
  void shouldReadThePixelsOfEveryKindOfImageAsGetRgbDoes() {
    // Given the same random picture as a plain INT_RGB image, a 3-byte BGR image, and an INT_RGB sub-image
    int w = 37;
    int h = 23;
    Random random = new Random(5);
    BufferedImage plain = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
    BufferedImage bgr = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
    BufferedImage larger = new BufferedImage(w + 3, h + 2, BufferedImage.TYPE_INT_RGB);
    for (int y = 0; y < h; y++) {
      for (int x = 0; x < w; x++) {
        int rgb = random.nextInt(1 << 24);
        plain.setRGB(x, y, rgb);
        bgr.setRGB(x, y, rgb);
        larger.setRGB(x + 2, y + 1, rgb);
      }
    }
    BufferedImage sub = larger.getSubimage(2, 1, w, h);

    // When each is read
    int[] expected = plain.getRGB(0, 0, w, h, null, 0, w);
    for (BufferedImage img : new BufferedImage[] {plain, bgr, sub}) {
      int[] got = new int[w * h];
      ImageTranslator.readRgb(img, w, h, got);

      // Then every pixel has the colour getRGB gives (the alpha byte is not read)
      for (int i = 0; i < got.length; i++) {
        assertThat(got[i] & 0xFFFFFF).as("pixel %d of a %d image", i, img.getType()).isEqualTo(expected[i] & 0xFFFFFF);
      }
    }
  }

  @Test
  void shouldMirrorARowLeftToRight() {
    int[] pixels = {1, 2, 3, 4, 5, 6};

    ImageTranslator.mirror(pixels, 3, 2);

    assertThat(pixels).containsExactly(3, 2, 1, 6, 5, 4);
  }

  @Test
  void shouldPoolEachImagesFiveWindowsAsTheMeanOfTheWindowsMeans() {
    // a stride-32 model's 9×9 feature map of a 288² image; its 224² windows are 7×7 cells at (0,0) (2,0) (0,2) (2,2)
    // (1,1)
    ImageModelSpec spec = new ImageModelSpec(java.nio.file.Path.of("m.onnx"), "m", "input", "features", 3, 224, 224,
        new float[] {0, 0, 0}, new float[] {1, 1, 1}, ImageModelSpec.Layout.NCHW, ImageModelSpec.View.WINDOWS);
    int n = 2;
    int c = 3;
    Random random = new Random(5);
    float[] map = new float[n * c * 81];
    for (int i = 0; i < map.length; i++) {
      map[i] = random.nextFloat();
    }
    float[][] pooled = ImageTranslator.of(spec).pooledWindows(map, n, c, 9, 9);

    assertThat(pooled).hasNumberOfRows(n);
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < c; k++) {
        double sum = 0;
        for (int[] at : new int[][] {{0, 0}, {2, 0}, {0, 2}, {2, 2}, {1, 1}}) {
          double window = 0;
          for (int y = at[1]; y < at[1] + 7; y++) {
            for (int x = at[0]; x < at[0] + 7; x++) {
              window += map[(i * c + k) * 81 + y * 9 + x];
            }
          }
          sum += window / 49;
        }
        assertThat((double) pooled[i][k]).isCloseTo(sum / 5, org.assertj.core.data.Offset.offset(1e-5));
      }
    }
    // a map whose cells do not match the windows is refused, not pooled wrongly
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> ImageTranslator.of(spec).pooledWindows(map, n, c, 9, 8))
        .hasMessageContaining("whole cells");
  }
}
