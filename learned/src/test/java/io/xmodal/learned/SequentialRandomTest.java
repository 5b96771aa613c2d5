package io.xmodal.learned;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SequentialRandomTest {

  @Test
  void shouldDrawExactlyWhatJavaUtilRandomDrawsForTheSameSeed() {
    for (long seed : new long[] {0, 17, -5, 123456789L}) {
      Random expected = new Random(seed);
      Random actual = new SequentialRandom(seed);
      for (int i = 0; i < 10_000; i++) {
        assertThat(actual.nextDouble()).isEqualTo(expected.nextDouble());
        assertThat(actual.nextInt(1000)).isEqualTo(expected.nextInt(1000));
        assertThat(actual.nextFloat()).isEqualTo(expected.nextFloat());
      }
      assertThat(actual.nextGaussian()).isEqualTo(expected.nextGaussian());
      List<Integer> a = new ArrayList<>(List.of(1, 2, 3, 4, 5, 6, 7, 8, 9));
      List<Integer> b = new ArrayList<>(a);
      Collections.shuffle(a, expected);
      Collections.shuffle(b, actual);
      assertThat(b).isEqualTo(a);
    }
  }
}
