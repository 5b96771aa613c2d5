package io.xmodal.mapping;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class RecallTest {

  @Test
  void shouldCountHitsAtEachKByHand() {
    // 3 images; 4 captions: captions 0,1 of image 0, caption 2 of image 1, caption 3 of image 2
    float[][] sims = {
        {0.9f, 0.1f, 0.0f},   // caption 0 → image 0 first: rank 0
        {0.2f, 0.8f, 0.5f},   // caption 1 → image 0 third: rank 2
        {0.3f, 0.4f, 0.1f},   // caption 2 → image 1 first: rank 0
        {0.6f, 0.7f, 0.5f}};  // caption 3 → image 2 third: rank 2
    int[] captionImage = {0, 0, 1, 2};

    Recall.Result r = Recall.fromScores(sims, captionImage, new float[3], new float[4]);

    assertThat(r.t2iR1()).isEqualTo(50.0);        // captions 0 and 2
    assertThat(r.t2iR5()).isEqualTo(100.0);
    // image 0: best own caption is 0 (0.9), nothing above → rank 0
    // image 1: own caption 2 (0.4); captions 1 (0.8) and 3 (0.7) above → rank 2
    // image 2: own caption 3 (0.5); caption 1 (0.5) ties, not above; nothing above → rank 0
    assertThat(r.i2tR1()).isCloseTo(200.0 / 3, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(r.i2tR5()).isEqualTo(100.0);
    assertThat(r.rsum()).isCloseTo(50 + 100 + 100 + 200.0 / 3 + 100 + 100, org.assertj.core.data.Offset.offset(1e-9));
  }

  @Test
  void aMapThatScoresNaNShouldFindNothingRatherThanEverything() {
    // NaN compares false with everything: counted naively, every target would rank first
    float[][] sims = {{Float.NaN, Float.NaN}, {Float.NaN, Float.NaN}};

    Recall.Result r = Recall.fromScores(sims, new int[] {0, 1}, new float[2], new float[2]);

    assertThat(r.rsum()).isZero();
  }

  @Test
  void hubnessPenaltiesShouldDemoteAHub() {
    // image 1 is a hub: close to every reference query; caption 0 prefers it only slightly
    float[][] sims = {{0.50f, 0.55f}};
    int[] captionImage = {0};
    assertThat(Recall.fromScores(sims, captionImage, new float[2], new float[1]).t2iR1()).isZero();

    INDArray gallery = Nd4j.create(new float[][] {{1, 0}, {0.7071f, 0.7071f}});
    INDArray reference = Nd4j.create(new float[][] {{0.6f, 0.8f}, {0.8f, 0.6f}, {0.0f, 1.0f}});
    float[] penalty = HubnessCorrection.csls(2).penalties(gallery, reference);

    assertThat(penalty[1]).isGreaterThan(penalty[0]);
    assertThat(Recall.fromScores(sims, captionImage, penalty, new float[1]).t2iR1()).isEqualTo(100.0);
  }

  @Test
  void invertedSoftmaxPenaltyShouldBeALogSumExp() {
    INDArray gallery = Nd4j.create(new float[][] {{1, 0}});
    INDArray reference = Nd4j.create(new float[][] {{1, 0}, {0, 1}});

    float p = HubnessCorrection.invertedSoftmax(10).penalties(gallery, reference)[0];

    assertThat((double) p).isCloseTo(Math.log(Math.exp(10) + Math.exp(0)) / 10, org.assertj.core.data.Offset.offset(1e-5));
  }

  @Test
  void shouldScoreAGridOfCorrectionsInOnePassExactlyAsEachAlone() {
    // Given a CCA map and a grid of corrections, with more references than one penalty chunk holds at a time
    java.util.Random r = new java.util.Random(3);
    float[][] x = new float[300][5];
    float[][] y = new float[300][7];
    for (int i = 0; i < 300; i++) {
      for (int j = 0; j < 7; j++) {
        y[i][j] = (float) r.nextGaussian();
      }
      for (int j = 0; j < 5; j++) {
        x[i][j] = y[i][j] + 0.8f * (float) r.nextGaussian();
      }
    }
    LinearMap map = Fits.cca(SufficientStats.of(x, y), 0.1).map(4, 1);
    int[] captionImage = java.util.stream.IntStream.range(0, 100).toArray();
    INDArray captions = Linalg.floatMatrix(java.util.Arrays.copyOfRange(x, 0, 100));
    INDArray images = Linalg.floatMatrix(java.util.Arrays.copyOfRange(y, 0, 100));
    INDArray refText = Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 100_000, 5).subi(0.5); // chunks of 83
    INDArray refImages = Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, 200, 7).subi(0.5);
    java.util.List<HubnessCorrection> grid = java.util.List.of(HubnessCorrection.NONE, HubnessCorrection.csls(10),
        HubnessCorrection.invertedSoftmax(20), HubnessCorrection.invertedSoftmax(40));

    // When the grid is scored at once
    java.util.List<Recall.Result> each = Recall.evaluateEach(map, grid, captions, captionImage, images, refText,
        refImages);

    // Then each result is the one that correction alone gives, and the corrections do change the ranking
    for (int i = 0; i < grid.size(); i++) {
      assertThat(each.get(i)).isEqualTo(Recall.evaluate(map.withHubness(grid.get(i)), captions, captionImage, images,
          refText, refImages));
    }
    assertThat(each.stream().map(Recall.Result::rsum).distinct().count()).isGreaterThan(1);
  }
}
