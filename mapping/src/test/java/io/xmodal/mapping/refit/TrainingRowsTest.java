package io.xmodal.mapping.refit;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TrainingRowsTest {

  static float[] v(float f) {
    return new float[] {f, -f};
  }

  @Test
  void shouldKeepTheSameBoundedSampleWhateverTheArrivalOrder() {
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      order.add(i);
    }
    TrainingRows inOrder = new TrainingRows(100);
    order.forEach(i -> inOrder.put("c" + i, "img" + i / 5, v(i), v(i / 5)));
    Collections.shuffle(order, new Random(3));
    TrainingRows shuffled = new TrainingRows(100);
    order.forEach(i -> shuffled.put("c" + i, "img" + i / 5, v(i), v(i / 5)));

    assertThat(inOrder.size()).isEqualTo(100);
    float[][][] a = inOrder.rows();
    float[][][] b = shuffled.rows();
    assertThat(a[0]).isDeepEqualTo(b[0]);
    assertThat(a[1]).isDeepEqualTo(b[1]);
    // each kept caption comes with its own image's vector
    for (int i = 0; i < a[0].length; i++) {
      assertThat(a[1][i][0]).isEqualTo((float) Math.floor(a[0][i][0] / 5));
    }
    // images are kept only while a kept caption needs them
    assertThat(inOrder.images()).isLessThanOrEqualTo(100);
  }

  @Test
  void shouldReplaceReencodedVectorsAndForgetRemovedPairsAndTheirOrphanImages() {
    TrainingRows rows = new TrainingRows(10);
    rows.put("c1", "img1", v(1), v(10));
    rows.put("c2", "img1", v(2), v(10));
    rows.put("c1", "img1", v(3), v(30));

    assertThat(java.util.Arrays.stream(rows.rows()[0]).map(r -> r[0])).containsExactlyInAnyOrder(3f, 2f);
    assertThat(java.util.Arrays.stream(rows.rows()[1]).map(r -> r[0])).containsExactly(30f, 30f);

    rows.remove("c1");
    assertThat(rows.images()).isEqualTo(1);
    rows.remove("c2");
    assertThat(rows.size()).isZero();
    assertThat(rows.images()).isZero();
  }
}
