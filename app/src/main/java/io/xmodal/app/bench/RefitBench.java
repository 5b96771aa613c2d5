package io.xmodal.app.bench;

import io.xmodal.mapping.Fits;
import io.xmodal.mapping.SufficientStats;
import io.xmodal.platform.runtime.Rss;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;

/**
 * Refit time per method against the number of pairs, on synthetic text / image vectors (384-d / 1280-d by default;
 * beyond the dataset's 30k pairs), the per-pair cost of the incremental statistics update (rank-256 updates), and the
 * JVM's resident set after each size's fits with its high-water mark (from /proc/self/status, where there is one):
 * the fits' float64 temporaries live off the Java heap, so the heap's figures would not show them.
 */
public final class RefitBench {

  private final PrintStream out;

  public RefitBench(PrintStream out) {
    this.out = out;
  }

  public void run(int[] sizes, int dx, int dy) {
    Map<String, Function<SufficientStats, Object>> methods = new LinkedHashMap<>();
    methods.put("LEAST_SQUARES t2i", s -> Fits.leastSquares(s, 0.1, true, Fits.Direction.T2I));
    methods.put("LEAST_SQUARES i2t", s -> Fits.leastSquares(s, 0.1, true, Fits.Direction.I2T));
    methods.put("PROCRUSTES pca", s -> Fits.procrustesPca(s, true));
    methods.put("PROCRUSTES pad", s -> Fits.procrustesPad(s, true));
    methods.put("CCA (all k)", s -> Fits.cca(s, 0.1));
    out.printf("refit benchmark: text %d-d, image %d-d, synthetic pairs; statistics updated in batches of 256%n",
        dx, dy);
    out.printf("%8s %14s", "pairs", "update µs/pair");
    methods.keySet().forEach(m -> out.printf(" %18s", m + " s"));
    out.printf(" %8s %8s%n", "RSS GiB", "peak GiB");
    Random r = new Random(1);
    SufficientStats stats = new SufficientStats(dx, dy);
    long updateNanos = 0;
    int done = 0;
    for (int n : sizes) {
      while (done < n) {
        int k = Math.min(256, n - done);
        float[][] x = new float[k][dx];
        float[][] y = new float[k][dy];
        for (int i = 0; i < k; i++) {
          for (int j = 0; j < dy; j++) {
            y[i][j] = (float) r.nextGaussian();
          }
          for (int j = 0; j < dx; j++) {
            x[i][j] = (float) (y[i][j] + y[i][(j * 7) % dy] + r.nextGaussian());
          }
        }
        long t0 = System.nanoTime();
        stats.add(x, y);
        updateNanos += System.nanoTime() - t0;
        done += k;
      }
      out.printf("%8d %14.1f", n, updateNanos / 1e3 / done);
      for (Function<SufficientStats, Object> fit : methods.values()) {
        long t0 = System.nanoTime();
        fit.apply(stats);
        out.printf(" %18.2f", (System.nanoTime() - t0) / 1e9);
      }
      out.printf(" %8s %8s%n", gibibytes(Rss.self()), gibibytes(Rss.peakSelf()));
      out.flush();
    }
  }

  // bytes as GiB, "-" where unknown (not Linux)
  private static String gibibytes(java.util.OptionalLong bytes) {
    return bytes.isPresent() ? String.format("%.2f", bytes.getAsLong() / 1073741824.0) : "-";
  }
}
