package io.xmodal.tools.bench;

import io.xmodal.learned.LearnedSearch;
import io.xmodal.mapping.Fits;
import io.xmodal.mapping.ModelSearch;
import io.xmodal.mapping.SufficientStats;
import io.xmodal.mapping.refit.Refit;
import io.xmodal.mapping.refit.RefitInput;
import io.xmodal.platform.process.Rss;
import io.xmodal.tools.eval.OfflineEvaluation;
import io.xmodal.trainer.TrainerConfig;
import java.io.PrintStream;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.function.Function;
import org.nd4j.linalg.api.ndarray.INDArray;

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

  /**
   * The trainer's own refit on a dataset's pairs (its grid, learned maps, references and all-pairs step, from the
   * trainer's settings), on embeddings the evaluation cached: each phase's time, the chosen candidate, and last
   * exactly {@code refit: pairs N dims T×I candidates C search S s learned L s total W s peak-rss M MB}.
   */
  public void runDataset(OfflineEvaluation.Embedded fit, TrainerConfig trainer) {
    int dx = fit.captions()[0].length;
    int dy = fit.images()[0].length;
    RefitInput in = OfflineEvaluation.trainingSet(fit,
        trainer.heldOutPercent(), trainer.learned().isEmpty() ? 0 : trainer.learnedMaxPairs(), trainer.references())
        .snapshot();
    out.printf("refit benchmark: the trainer's refit on %d training pairs (%d × %d), scored on %d held-out images "
            + "(%d captions); references %d captions, %d images; learned: %s; all pairs: %s%n", in.stats().count(),
        dx, dy, in.validation().imageCount(), in.validation().captionCount(), rows(in.referenceText()),
        rows(in.referenceImages()), trainer.learned().stream().map(o -> o.kind().name()).toList(),
        trainer.allPairs() ? "yes" : "no");
    out.flush();
    long t0 = System.nanoTime();
    Refit.Result r = Refit.run(in, trainer.search(),
        LearnedSearch.step(trainer.learned()), null, trainer.allPairs(), line -> {
          if (!line.startsWith("candidate ") || line.contains("not fitted") || line.contains("not scored")) {
            out.printf("%6.1f s  %s%n", (System.nanoTime() - t0) / 1e9, line);
            out.flush();
          }
        });
    r.learned().forEach(o -> out.println(o.summary()));
    ModelSearch.Candidate best = r.candidates().stream()
        .max(Comparator.comparingDouble(c -> c.validation().rsum())).orElseThrow();
    out.println("each family's best on the held-out pairs:");
    for (ModelSearch.Candidate c : r.candidates()) {
      out.printf("  %-30s %-72s rsum %6.1f%n", c.family(), c.map().label(), c.validation().rsum());
    }
    out.printf("chosen: %s, held-out rsum %.1f%s%n", r.served(best).label(), best.validation().rsum(),
        r.allPairs() != null && r.allPairs().of() == best ? ", served as fitted again on all " + r.allPairs().pairs()
            + " pairs" : "");
    Refit.Timing t = r.timing();
    OptionalLong peak = Rss.peakSelf();
    out.printf("refit: pairs %d dims %d×%d candidates %d search %.1f s learned %.1f s total %.1f s peak-rss %s MB%n",
        in.stats().count(), dx, dy, t.scored(), t.searchSeconds(), t.learnedSeconds(), r.seconds(),
        peak.isPresent() ? Long.toString(peak.getAsLong() >> 20) : "-");
    out.flush();
  }

  private static long rows(INDArray m) {
    return m == null ? 0 : m.rows();
  }

  // bytes as GiB, "-" where unknown (not Linux)
  private static String gibibytes(OptionalLong bytes) {
    return bytes.isPresent() ? String.format("%.2f", bytes.getAsLong() / 1073741824.0) : "-";
  }
}
