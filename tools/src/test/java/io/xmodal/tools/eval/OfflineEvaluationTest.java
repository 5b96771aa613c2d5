package io.xmodal.tools.eval;

import static org.assertj.core.api.Assertions.assertThat;

import io.xmodal.mapping.ModelSearch;
import java.io.PrintStream;
import java.io.OutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** The offline evaluation's table on synthetic pairs: the trainer's choice, and the all-pairs rows. */
class OfflineEvaluationTest {

  static final int DX = 10;
  static final int DY = 14;
  static final double[][] M = new double[DY][DX];

  static {
    Random r = new Random(42);
    for (double[] row : M) {
      for (int j = 0; j < DX; j++) {
        row[j] = r.nextGaussian();
      }
    }
  }

  /** {@code n} images with 3 captions each, caption = image·M + noise. */
  static OfflineEvaluation.Embedded split(String name, int n, long seed) {
    Random r = new Random(seed);
    List<String> imageIds = new ArrayList<>();
    List<String> captionIds = new ArrayList<>();
    float[][] images = new float[n][DY];
    float[][] captions = new float[3 * n][DX];
    int[] captionImage = new int[3 * n];
    for (int i = 0; i < n; i++) {
      imageIds.add(name + "-" + i + ".jpg");
      for (int j = 0; j < DY; j++) {
        images[i][j] = (float) r.nextGaussian();
      }
      for (int c = 0; c < 3; c++) {
        int k = 3 * i + c;
        captionIds.add(name + "-" + i + ".jpg#" + c);
        captionImage[k] = i;
        for (int x = 0; x < DX; x++) {
          double v = 0;
          for (int j = 0; j < DY; j++) {
            v += images[i][j] * M[j][x];
          }
          captions[k][x] = (float) (v + 3.0 * r.nextGaussian());
        }
      }
    }
    return new OfflineEvaluation.Embedded(imageIds, images, captionIds, captions, captionImage);
  }

  @Test
  void shouldMarkTheTrainersChoiceFittedOnAllPairsAndFitEachRecipeOnceForTheAllPairsRows() {
    OfflineEvaluation.Embedded fit = split("train", 400, 1);
    OfflineEvaluation.Embedded eval = split("dev", 100, 2);

    List<OfflineEvaluation.Row> rows = new OfflineEvaluation(new PrintStream(OutputStream.nullOutputStream()))
        .run(fit, eval, 10, ModelSearch.Options.quick(), List.of(), true);

    List<OfflineEvaluation.Row> plain = rows.stream().filter(r -> !r.method().contains("[")).toList();
    List<OfflineEvaluation.Row> allPairs = rows.stream().filter(r -> r.method().endsWith(" [all pairs]")).toList();
    assertThat(allPairs).hasSameSizeAs(plain);
    // the choice is the best on the held-out tenth, refitted on every pair: the same map as its [all pairs] row
    OfflineEvaluation.Row choice = OfflineEvaluation.choice(rows).orElseThrow();
    double bestHeldOut = plain.stream().mapToDouble(OfflineEvaluation.Row::validationRsum).max().orElseThrow();
    assertThat(choice.validationRsum()).isEqualTo(bestHeldOut);
    assertThat(choice.method()).endsWith(" [trainer's choice, all pairs]");
    String label = choice.method().replace(" [trainer's choice, all pairs]", "");
    OfflineEvaluation.Row same = allPairs.stream().filter(r -> r.method().equals(label + " [all pairs]")).findFirst()
        .orElseThrow();
    assertThat(choice.recall()).isEqualTo(same.recall());
    // families that share a recipe (another hubness correction) share one fit
    for (OfflineEvaluation.Row a : allPairs) {
      for (OfflineEvaluation.Row b : allPairs) {
        if (a != b && a.map().method() == b.map().method()
            && a.map().variant().label().equals(b.map().variant().label())) {
          assertThat(a.fitSeconds()).isEqualTo(b.fitSeconds());
        }
      }
    }
  }
}
