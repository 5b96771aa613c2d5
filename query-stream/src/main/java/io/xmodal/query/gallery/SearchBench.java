package io.xmodal.query.gallery;

import io.xmodal.mapping.CrossModalMap;
import io.xmodal.mapping.HubnessCorrection;
import io.xmodal.mapping.LinearMap;
import io.xmodal.mapping.Method;
import io.xmodal.mapping.Variant;
import io.xmodal.mapping.Vectors;
import io.xmodal.schemas.Embedding;
import io.xmodal.schemas.EmbeddingVectors;
import io.xmodal.schemas.EncoderIdentity;
import io.xmodal.schemas.EncoderKeys;
import io.xmodal.schemas.Modality;
import java.io.PrintStream;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The search path of query-stream (project the query batch, one GEMM against the projected gallery, subtract the
 * hubness penalties, top-k) on synthetic galleries of 1280-d vectors, beside the brute-force bound: the GEMM alone
 * for the same batch, measured in the same run: {@code ./xmodal bench query}. A measurement, not a test; it lives here,
 * not in query-stream, so the service ships only what it serves with.
 */
public final class SearchBench {

  private final PrintStream out;

  public SearchBench(PrintStream out) {
    this.out = out;
  }

  /**
   * @param references how many reference queries the hubness penalties are computed against (a version carries up to
   *                   {@link io.xmodal.mapping.HeldOut#MAX_REFERENCE_CAPTIONS} captions and
   *                   {@link io.xmodal.mapping.HeldOut#MAX_REFERENCE_IMAGES} images); the "index s" column times
   *                   projecting the whole gallery with its penalties, what an instance does for each new version
   */
  public void run(int[] gallerySizes, int batch, int batches, int k, int references) {
    int dx = 384;
    int dy = 1280;
    Random r = new Random(7);
    // a text→image least-squares shaped map: queries projected to the 1280-d image space, images kept as they are
    INDArray a = Nd4j.rand(DataType.DOUBLE, dx, dy).subi(0.5);
    CrossModalMap map = new LinearMap(Method.LEAST_SQUARES, new Variant.Opaque("bench"), null, null, a, null, null,
        HubnessCorrection.invertedSoftmax(30));
    INDArray refs = Nd4j.rand(DataType.FLOAT, references, dx);
    out.printf("search benchmark: %d-d text queries → %d-d image gallery, batch %d, k=%d, inverted-softmax penalties "
        + "against %d references; %d batches per size%n", dx, dy, batch, k, references, batches);
    out.printf("%10s %10s %10s %10s %10s %12s %12s %14s%n", "gallery", "index s", "p50 ms", "p99 ms", "QPS",
        "GEMM p50 ms", "GEMM p99 ms", "p99 / GEMM p99");
    EncoderIdentity enc = EncoderIdentity.newBuilder().setName("synthetic").setVersion("1").setDimension(dy)
        .setChecksum("synthetic").build();
    for (int n : gallerySizes) {
      GalleryIndex index = new GalleryIndex();
      index.acquire(each -> { });
      // the raw vectors, as the global store would give them (query-stream reads them from RocksDB)
      Map<String, float[]> stored = new HashMap<>();
      for (int i = 0; i < n; i++) {
        float[] v = new float[dy];
        for (int j = 0; j < dy; j++) {
          v[j] = (float) r.nextGaussian();
        }
        stored.put("img-" + i, Vectors.l2(v));
        index.put(EmbeddingVectors.set(Embedding.newBuilder().setId("img-" + i).setModality(Modality.IMAGE)
            .setEncoderInfo(enc).setCreatedAt(Instant.EPOCH), v).build());
      }
      ProjectedGallery gallery = new ProjectedGallery(index, map, true, EncoderKeys.of(enc), refs);
      GalleryIndex.RawVectors vectors = stored::get;
      INDArray warm = Nd4j.rand(DataType.FLOAT, batch, dx);
      long index0 = System.nanoTime();
      boolean found = gallery.search(warm, k, null, vectors).get(0).size() == Math.min(k, n); // projects it all first
      double indexSeconds = (System.nanoTime() - index0) / 1e9;
      if (!found) {
        // a gallery that matched no item (e.g. another encoder key) would time an empty search
        throw new IllegalStateException("the benchmark's gallery holds none of its " + n + " items");
      }
      INDArray projectedGallery = map.projectImages(Nd4j.rand(DataType.FLOAT, n, dy));
      double[] total = new double[batches];
      double[] gemm = new double[batches];
      long wall0 = System.nanoTime();
      for (int b = 0; b < batches; b++) {
        INDArray q = Nd4j.rand(DataType.FLOAT, batch, dx);
        long t0 = System.nanoTime();
        gallery.search(q, k, null, vectors);
        total[b] = (System.nanoTime() - t0) / 1e6;
      }
      double wall = (System.nanoTime() - wall0) / 1e9;
      for (int b = 0; b < batches; b++) {
        INDArray q = map.projectText(Nd4j.rand(DataType.FLOAT, batch, dx));
        long t0 = System.nanoTime();
        q.mmul(projectedGallery.transpose()).toFloatMatrix();
        gemm[b] = (System.nanoTime() - t0) / 1e6;
      }
      Arrays.sort(total);
      Arrays.sort(gemm);
      double p99 = pct(total, 99);
      double g99 = pct(gemm, 99);
      out.printf("%10d %10.2f %10.2f %10.2f %10.0f %12.2f %12.2f %14.2f%n", n, indexSeconds, pct(total, 50), p99,
          batch * batches / wall, pct(gemm, 50), g99, p99 / g99);
    }
  }

  /** The p-th percentile of {@code sorted} (nearest rank); the sharded bench uses it too. */
  public static double pct(double[] sorted, double p) {
    int idx = (int) Math.ceil(p / 100 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, idx))];
  }
}
