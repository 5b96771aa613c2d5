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
}
