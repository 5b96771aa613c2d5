package io.xmodal.tools.bench;

import io.xmodal.learned.LearnedOptions;
import io.xmodal.mapping.CrossModalMap;
import io.xmodal.mapping.GmlpMap;
import io.xmodal.mapping.HubnessCorrection;
import io.xmodal.mapping.Linalg;
import io.xmodal.mapping.Method;
import io.xmodal.mapping.ModelSearch;
import io.xmodal.tools.eval.OfflineEvaluation;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Training cost of the learned maps on the real pairs (the Flickr8k train split, fitted as the trainer fits it: time
 * per epoch, epochs to the best held-out epoch, total), and their per-query inference cost against the linear map
 * they start from (projecting a text query; the image side of every map is linear, and the gallery search after the
 * projection is the same for all).
 */
public final class LearnedBench {

  private final PrintStream out;

  public LearnedBench(PrintStream out) {
    this.out = out;
  }

  public void run(OfflineEvaluation.Embedded train, OfflineEvaluation.Embedded dev, List<LearnedOptions> kinds,
                  int queries) {
    // the closed form the learned maps start from (the dev table's best: weighted CCA, r=0.3, k=256, CSLS)
    ModelSearch.Options start = new ModelSearch.Options(new double[] {0.1}, new double[] {0.3}, new int[] {256},
        new double[] {1}, List.of(HubnessCorrection.NONE, HubnessCorrection.csls(10)), false, List.of(Method.CCA));
    List<OfflineEvaluation.Row> rows = new OfflineEvaluation(out).run(train, dev, 10, start, kinds);
    Map<String, CrossModalMap> maps = new LinkedHashMap<>();
    for (OfflineEvaluation.Row r : rows) {
      maps.putIfAbsent(r.map().method().name(), r.map());
    }
    if (maps.get(Method.GMLP.name()) instanceof GmlpMap g && g.blocks().size() > 1) {
      // what the ensemble costs over one block, on the same weights
      maps.remove(Method.GMLP.name());
      maps.put("GMLP x" + g.blocks().size(), g);
      maps.put("GMLP 1 block", new GmlpMap(g.variant(), g.muX(), g.muY(), g.a(), g.b(), g.block(),
          g.hubness()));
    }
    INDArray captions = Linalg.matrix(Arrays.copyOf(dev.captions(), Math.min(queries, dev.captions().length)))
        .castTo(DataType.FLOAT);
    out.printf("text query projection, %d dev captions, µs per query (median of 5 passes):%n", captions.rows());
    out.printf("%-14s %10s %10s %14s%n", "map", "batch 1", "batch 16", "vs linear (b1)");
    Double linear = null;
    for (Map.Entry<String, CrossModalMap> e : maps.entrySet()) {
      double b1 = perQuery(e.getValue(), captions, 1);
      double b16 = perQuery(e.getValue(), captions, 16);
      if (linear == null) {
        linear = b1;
      }
      out.printf("%-14s %10.1f %10.1f %13.2fx%n", e.getKey(), b1, b16, b1 / linear);
    }
  }

  private static double perQuery(CrossModalMap map, INDArray captions, int batch) {
    int n = (int) captions.rows() / batch * batch;
    List<INDArray> batches = new ArrayList<>();
    for (int i = 0; i < n; i += batch) {
      batches.add(captions.get(NDArrayIndex.interval(i, i + batch),
          NDArrayIndex.all()).dup());
    }
    batches.forEach(map::projectText); // warm-up
    double[] passes = new double[5];
    for (int p = 0; p < passes.length; p++) {
      long t0 = System.nanoTime();
      for (INDArray b : batches) {
        map.projectText(b);
      }
      passes[p] = (System.nanoTime() - t0) / 1e3 / n;
    }
    Arrays.sort(passes);
    return passes[passes.length / 2];
  }
}
