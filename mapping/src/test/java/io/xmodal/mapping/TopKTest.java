package io.xmodal.mapping;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TopKTest {

  @Test
  void shouldReturnTheLargestBestFirstLikeAFullSort() {
    Random r = new Random(3);
    for (int trial = 0; trial < 50; trial++) {
      float[] v = new float[1 + r.nextInt(300)];
      for (int i = 0; i < v.length; i++) {
        v[i] = r.nextInt(40) / 4f;
      }
      int k = 1 + r.nextInt(12);
      int[] got = TopK.indices(v, k);
      float[] gotValues = new float[got.length];
      for (int i = 0; i < got.length; i++) {
        gotValues[i] = v[got[i]];
      }
      assertThat(gotValues).containsExactly(sortedTop(v, k));
    }
  }

  private static float[] sortedTop(float[] v, int k) {
    float[] c = v.clone();
    Arrays.sort(c);
    float[] out = new float[Math.min(k, c.length)];
    for (int i = 0; i < out.length; i++) {
      out[i] = c[c.length - 1 - i];
    }
    return out;
  }
}
