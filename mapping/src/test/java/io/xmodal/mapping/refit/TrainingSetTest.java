package io.xmodal.mapping.refit;

import static org.assertj.core.api.Assertions.assertThat;

import io.xmodal.mapping.HeldOut;
import io.xmodal.mapping.ReferenceCaps;
import io.xmodal.mapping.SufficientStats;
import io.xmodal.mapping.Vectors;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TrainingSetTest {

  private static final int DX = 6;
  private static final int DY = 9;

  private static List<TrainingPair> pairs(int images, long seed) {
    Random r = new Random(seed);
    List<TrainingPair> out = new ArrayList<>();
    for (int i = 0; i < images; i++) {
      String imageId = "img-" + i + ".jpg";
      float[] y = vector(r, DY);
      for (int c = 0; c < 3; c++) {
        out.add(new TrainingPair(imageId + "#" + c, imageId, HeldOut.isHeldOut(imageId, 10), vector(r, DX), y));
      }
    }
    return out;
  }

  private static float[] vector(Random r, int d) {
    float[] v = new float[d];
    for (int j = 0; j < d; j++) {
      v[j] = (float) r.nextGaussian();
    }
    return v;
  }

  /** The statistics computed at once from the L2-normalised training rows: what the incremental set must equal. */
  private static SufficientStats batch(List<TrainingPair> pairs) {
    List<float[]> x = new ArrayList<>();
    List<float[]> y = new ArrayList<>();
    for (TrainingPair p : pairs) {
      if (!p.heldOut()) {
        x.add(Vectors.l2(p.text()));
        y.add(Vectors.l2(p.image()));
      }
    }
    return SufficientStats.of(x.toArray(float[][]::new), y.toArray(float[][]::new));
  }

  @Test
  void shouldKeepTrainingPairsAsStatisticsAndHeldOutPairsToScoreOn() {
    List<TrainingPair> all = pairs(400, 1);
    TrainingSet set = new TrainingSet(DX, DY, 0);

    all.forEach(set::add);
    RefitInput in = set.snapshot();

    long held = all.stream().filter(TrainingPair::heldOut).count();
    assertThat(held).isPositive();
    assertThat(in.stats().count()).isEqualTo(all.size() - held).isEqualTo(set.trainingPairs());
    assertThat(in.validation().captionCount()).isEqualTo(held);
    assertThat(in.validation().imageCount()).isEqualTo(held / 3).isEqualTo(set.heldOutImages());
    assertThat(in.stats().cxy(true).sub(batch(all).cxy(true)).amaxNumber().doubleValue()).isLessThan(1e-9);
    assertThat(in.stats().cyy(true).sub(batch(all).cyy(true)).amaxNumber().doubleValue()).isLessThan(1e-9);
    assertThat(in.stats().cxx(true).sub(batch(all).cxx(true)).amaxNumber().doubleValue()).isLessThan(1e-9);
    assertThat(in.learnedRows()).as("no rows kept when the learned maps are off").isNull();
  }

  @Test
  void shouldCountAnImageSeenWithTwoVectorsInOneFlushAsTwoRows() {
    // Given one image id arriving with two different vectors among the pending pairs (encoded again in between)
    Random r = new Random(3);
    String id = "img-2.jpg";
    assertThat(HeldOut.isHeldOut(id, 10)).isFalse();
    List<TrainingPair> pairs = List.of(new TrainingPair(id + "#0", id, false, vector(r, DX), vector(r, DY)),
        new TrainingPair(id + "#1", id, false, vector(r, DX), vector(r, DY)));
    TrainingSet set = new TrainingSet(DX, DY, 0);

    pairs.forEach(set::add);
    RefitInput in = set.snapshot();

    // Then each pair's own image row is in the statistics, not the first one's twice
    assertThat(in.stats().cyy(false).sub(batch(pairs).cyy(false)).amaxNumber().doubleValue()).isLessThan(1e-9);
    assertThat(in.stats().cxy(false).sub(batch(pairs).cxy(false)).amaxNumber().doubleValue()).isLessThan(1e-9);
  }

  @Test
  void shouldForgetRemovedPairsInTheStatisticsTheReferencesAndTheLearnedRows() {
    List<TrainingPair> all = pairs(400, 2);
    TrainingSet set = new TrainingSet(DX, DY, 10_000);
    all.forEach(set::add);
    // every pair of some training images, and one caption of a few others
    List<TrainingPair> removed = all.stream().filter(p -> !p.heldOut()
        && (p.imageId().endsWith("7.jpg") || p.imageId().endsWith("3.jpg") && p.captionId().endsWith("#0"))).toList();
    assertThat(removed).isNotEmpty();

    removed.forEach(set::remove);
    RefitInput in = set.snapshot();

    List<TrainingPair> kept = new ArrayList<>(all);
    kept.removeAll(removed);
    assertThat(in.stats().count()).isEqualTo(batch(kept).count());
    assertThat(in.stats().cxy(true).sub(batch(kept).cxy(true)).amaxNumber().doubleValue()).isLessThan(1e-9);
    long keptTraining = kept.stream().filter(p -> !p.heldOut()).count();
    assertThat(in.learnedRows()[0].length).isEqualTo((int) keptTraining);
    // every training item is a reference (there are fewer than the caps): an image leaves with its last pair only
    long keptImages = kept.stream().filter(p -> !p.heldOut()).map(TrainingPair::imageId).distinct().count();
    assertThat(in.referenceImages().rows()).isEqualTo(keptImages);
    assertThat(in.referenceText().rows()).isEqualTo(keptTraining);
  }

  @Test
  void shouldGiveARefitAtMostTheCappedReferencesPickedByIdHashAmongEveryTrainingItem() {
    // Given 400 images (about 360 in training, 1,080 training captions) and caps of 100 captions and 64 images
    List<TrainingPair> all = pairs(400, 3);
    TrainingSet set = new TrainingSet(DX, DY, 0, new ReferenceCaps(100, 64));

    all.forEach(set::add);
    RefitInput in = set.snapshot();

    // Then the refit gets exactly the caps, and the same pick as capping every training item at once
    java.util.Map<String, float[]> captions = new java.util.TreeMap<>();
    java.util.Map<String, float[]> images = new java.util.TreeMap<>();
    all.stream().filter(p -> !p.heldOut()).forEach(p -> {
      captions.put(p.captionId(), Vectors.l2(p.text()));
      images.put(p.imageId(), Vectors.l2(p.image()));
    });
    assertThat(in.referenceText().rows()).isEqualTo(100);
    assertThat(in.referenceImages().rows()).isEqualTo(64);
    assertThat(in.referenceText().toFloatMatrix()).isEqualTo(HeldOut.capReferences(captions, 100)
        .toArray(float[][]::new));
    assertThat(in.referenceImages().toFloatMatrix()).isEqualTo(HeldOut.capReferences(images, 64)
        .toArray(float[][]::new));
  }
}
