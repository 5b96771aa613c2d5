package io.xmodal.learned;

import io.xmodal.device.DeviceChoice;
import io.xmodal.mapping.EvalSet;
import io.xmodal.mapping.Fits;
import io.xmodal.mapping.HubnessCorrection;
import io.xmodal.mapping.Linalg;
import io.xmodal.mapping.LinearMap;
import io.xmodal.mapping.Method;
import io.xmodal.mapping.SufficientStats;
import io.xmodal.mapping.Vectors;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Seconds per epoch of a frozen-start gMLP at the default composite's sizes (text 1,152, image 5,376, k 384, h 256,
 * batch 1,024), scored with CSLS against 16,384 reference captions and 1,024 reference images as a refit scores them,
 * on random unit rows: a timing harness, not a test (it asserts nothing). Run it with {@code OMP_WAIT_POLICY=PASSIVE
 * ./mvnw -o -q -B -pl learned test -Dtest=EpochTiming -Dxmodal.timing=true} (PASSIVE as the launcher sets it; the CPU
 * time then counts work, not OpenMP's spinning); {@code -Dxmodal.timing.pairs=N} sets the training pairs (default
 * 8,192: 8 steps per epoch), {@code -Dxmodal.timing.epochs=E} the epochs (default 3).
 */
@EnabledIfSystemProperty(named = "xmodal.timing", matches = "true")
class EpochTiming {

  @Test
  void printSecondsPerEpoch() {
    int n = Integer.getInteger("xmodal.timing.pairs", 8192);
    int epochs = Integer.getInteger("xmodal.timing.epochs", 3);
    int dx = 1152;
    int dy = 5376;
    int k = 384;
    Random r = new Random(1);
    float[][] x = rows(n, dx, r);
    float[][] y = rows(n, dy, r);
    int images = 600;
    float[][] vy = rows(images, dy, r);
    float[][] vx = rows(images * 5, dx, r);
    int[] own = new int[vx.length];
    for (int i = 0; i < own.length; i++) {
      own[i] = i / 5;
    }
    EvalSet v = new EvalSet(Linalg.matrix(vx), own, Linalg.matrix(vy));
    INDArray refText = Linalg.matrix(rows(16384, dx, r));
    INDArray refImages = Linalg.matrix(rows(1024, dy, r));
    LinearMap start = Fits.cca(SufficientStats.of(x, y), 0.1).map(k, 1);
    // the default gMLP, one block, every epoch run (patience beyond them)
    LearnedOptions d = LearnedOptions.defaults(Method.GMLP);
    LearnedOptions o = new LearnedOptions(d.kind(), d.loss(), epochs, epochs + 1, d.batchSize(), d.learningRate(),
        d.inputDropout(), d.hidden(), d.seed(), DeviceChoice.CPU, true, 1);
    HubnessCorrection csls = HubnessCorrection.csls(10);
    for (int pass = 0; pass < 2; pass++) {
      long t0 = System.nanoTime();
      long c0 = cpu();
      LearnedTrainer.Result fixed = LearnedTrainer.trainFixed(x, y, start, csls, o, epochs, l -> { });
      double fixedS = (System.nanoTime() - t0) / 1e9;
      double fixedCpu = (cpu() - c0) / 1e9;
      t0 = System.nanoTime();
      c0 = cpu();
      LearnedTrainer.Result scored = LearnedTrainer.train(x, y, start, v, refText, refImages, csls, o, l -> { });
      double scoredS = (System.nanoTime() - t0) / 1e9;
      double scoredCpu = (cpu() - c0) / 1e9;
      System.out.printf("TIMING pass %d: %d pairs, %d epochs: unscored %.2f s/epoch wall, %.2f s/epoch CPU; scored "
          + "%.2f s/epoch wall, %.2f s/epoch CPU (rsum %.1f)%n", pass, n, epochs, fixedS / fixed.epochs(),
          fixedCpu / fixed.epochs(), scoredS / scored.epochs(), scoredCpu / scored.epochs(),
          scored.validation().rsum());
    }
  }

  /** The process's CPU time in ns (every thread: PyTorch's intra-op threads too). */
  private static long cpu() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
        .getOperatingSystemMXBean()).getProcessCpuTime();
  }

  private static float[][] rows(int n, int d, Random r) {
    float[][] out = new float[n][d];
    for (float[] row : out) {
      for (int j = 0; j < d; j++) {
        row[j] = (float) r.nextGaussian();
      }
      System.arraycopy(Vectors.l2(row), 0, row, 0, d);
    }
    return out;
  }
}
