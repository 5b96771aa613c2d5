package io.xmodal.query.sharded;

import static io.xmodal.query.gallery.SearchBench.pct;

import io.xmodal.mapping.CrossModalMap;
import io.xmodal.mapping.HubnessCorrection;
import io.xmodal.mapping.LinearMap;
import io.xmodal.mapping.Method;
import io.xmodal.mapping.Variant;
import io.xmodal.mapping.Vectors;
import io.xmodal.query.gallery.GalleryIndex;
import io.xmodal.query.gallery.ProjectedGallery;
import io.xmodal.schemas.Embedding;
import io.xmodal.schemas.EmbeddingVectors;
import io.xmodal.schemas.EncoderIdentity;
import io.xmodal.schemas.EncoderKeys;
import io.xmodal.schemas.Hit;
import io.xmodal.schemas.Modality;
import java.io.PrintStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Sharded search in one process ({@code ./xmodal bench query --shards S --gallery N}): a synthetic gallery of N
 * 1280-d image vectors, projected to D dimensions by a CCA-shaped map (text 384 → D, images 1280 → D, inverted-softmax
 * penalties), held once whole (one index, replicated mode's search) and once split into S partitions by the embeddings
 * topics' partitioner, each a {@link GalleryIndex} + {@link ProjectedGallery} as a shard task holds it. Each batch of
 * queries is searched by the single index and by every shard in turn, whose partial top-k {@link ShardMerge} merges, in
 * alternation, so both see the same machine. Memory per shard is measured, not computed from N × D: the Java heap
 * after GC before and after the shard is built (ids, index entries, row maps), plus the off-heap matrix as ND4J
 * allocated it (its capacity, headroom included; JavaCPP's byte counter does not see ND4J's CPU buffers). The raw
 * vectors are generated from the id when asked for (query-stream reads them from RocksDB, on disk), so they are in
 * neither figure.
 * A measurement, not a test.
 */
public final class ShardedSearchBench {

  static final int RAW_DIM = 1280;
  static final int TEXT_DIM = 384;

  private final PrintStream out;

  public ShardedSearchBench(PrintStream out) {
    this.out = out;
  }

  /** One run's figures. */
  record Row(int items, int shards, int dim, double bytesPerVector, double heapPerVector, long perInstanceBytes, double p50, double p99,
             double parallelP99, double mergeP99, double singleP50, double singleP99, double qps,
             double overheadPercent) {}

  public void run(int[] galleries, int[] shardCounts, int dim, int batch, int batches, int k) {
    SplittableRandom r = new SplittableRandom(7);
    INDArray a = Nd4j.rand(DataType.FLOAT, TEXT_DIM, dim).subi(0.5);
    INDArray b = Nd4j.rand(DataType.FLOAT, RAW_DIM, dim).subi(0.5);
    CrossModalMap map = new LinearMap(Method.CCA, new Variant.Opaque("bench"), null, null, a, b, null,
        HubnessCorrection.invertedSoftmax(30));
    INDArray references = Nd4j.rand(DataType.FLOAT, 2048, TEXT_DIM).subi(0.5);
    EncoderIdentity enc = EncoderIdentity.newBuilder().setName("synthetic").setVersion("1").setDimension(RAW_DIM)
        .setChecksum("synthetic").build();
    String key = EncoderKeys.of(enc);
    GalleryIndex.RawVectors raw = ShardedSearchBench::rawVector;
    out.printf("sharded search benchmark: %d-d text queries -> %d-d image gallery projected to %d-d (CCA-shaped), "
        + "batch %d, k=%d, inverted-softmax penalties, %d batches per run; shards searched one after another in this "
        + "process (%d cores)%n", TEXT_DIM, RAW_DIM, dim, batch, k, batches,
        Runtime.getRuntime().availableProcessors());
    out.printf("%9s %6s %5s %9s %9s %11s %11s %8s %8s %13s %9s %10s %10s %7s %9s%n", "items", "shards", "dim",
        "B/vector", "heap B/v", "MB/instance", "goal MB", "p50 ms", "p99 ms", "max-shard+merge", "merge p99", "single p50", "single p99",
        "QPS", "overhead");
    Row last = null;
    for (int n : galleries) {
      List<Built> whole = build(n, 1, map, key, references, enc, raw);
      for (int s : shardCounts) {
        List<Built> shards = s == 1 ? whole : build(n, s, map, key, references, enc, raw);
        last = measure(n, s, dim, whole.get(0), shards, map, batch, batches, k, r);
        out.printf("%9d %6d %5d %9.0f %9.0f %11.1f %11.1f %8.2f %8.2f %13.2f %9.2f %10.2f %10.2f %7.0f %8.1f%%%n",
            last.items(), last.shards(), last.dim(), last.bytesPerVector(), last.heapPerVector(),
            last.perInstanceBytes() / 1e6,
            1.2 * n * (double) dim * 4 / s / 1e6, last.p50(), last.p99(), last.parallelP99(), last.mergeP99(),
            last.singleP50(), last.singleP99(), last.qps(), last.overheadPercent());
        if (shards != whole) {
          shards.clear();
        }
        gc();
      }
      whole.clear();
      gc();
    }
    if (last != null) {
      out.printf("sharded: items %d shards %d dim %d bytes/vector %.0f p99 %.2f ms merge-overhead %.1f%%%n",
          last.items(), last.shards(), last.dim(), last.bytesPerVector(), last.p99(), last.overheadPercent());
    }
  }

  /** A gallery partition as a shard task holds it, and what building it cost. */
  record Built(GalleryIndex index, ProjectedGallery gallery, long heapBytes, long offHeapBytes) {

    long bytes() {
      return heapBytes + offHeapBytes;
    }
  }

  /** The gallery split into {@code s} partitions (1: the whole), each built and measured on its own. */
  private List<Built> build(int n, int s, CrossModalMap map, String key, INDArray references, EncoderIdentity enc,
                            GalleryIndex.RawVectors raw) {
    List<Built> out = new ArrayList<>();
    INDArray warm = Nd4j.rand(DataType.FLOAT, 1, TEXT_DIM);
    for (int p = 0; p < s; p++) {
      long before = memory();
      GalleryIndex index = new GalleryIndex();
      index.acquire(each -> { });
      ProjectedGallery gallery = new ProjectedGallery(index, map, true, key, references);
      for (int i = 0; i < n; i++) {
        String id = "img-" + i;
        if (s == 1 || ShardPartitioner.partitionOf(id, s) == p) {
          index.put(EmbeddingVectors.set(Embedding.newBuilder().setId(id).setModality(Modality.IMAGE)
              .setEncoderInfo(enc).setCreatedAt(Instant.EPOCH), rawVector(id)).build());
        }
      }
      gallery.search(warm, 1, null, raw); // projects every row, as a shard task's first search after a restart
      long heap = memory() - before;
      out.add(new Built(index, gallery, heap, gallery.allocatedBytes()));
    }
    return out;
  }

  private Row measure(int n, int s, int dim, Built whole, List<Built> shards, CrossModalMap map, int batch,
                      int batches, int k, SplittableRandom r) {
    GalleryIndex.RawVectors raw = ShardedSearchBench::rawVector;
    double[] sharded = new double[batches];
    double[] parallel = new double[batches];
    double[] merge = new double[batches];
    double[] single = new double[batches];
    long shardedNanos = 0;
    for (int w = 0; w < 3; w++) {
      INDArray q = queries(batch, r);
      whole.gallery().search(q, k, null, raw);
      shards.forEach(x -> x.gallery().search(q, k, null, raw));
    }
    for (int bi = 0; bi < batches; bi++) {
      INDArray q = queries(batch, r);
      long t0 = System.nanoTime();
      List<List<List<Map.Entry<String, Float>>>> partials = new ArrayList<>();
      long slowest = 0;
      for (Built x : shards) {
        long ts = System.nanoTime();
        partials.add(x.gallery().search(q, k, null, raw));
        slowest = Math.max(slowest, System.nanoTime() - ts);
      }
      long tm = System.nanoTime();
      for (int i = 0; i < batch; i++) {
        List<List<Hit>> perShard = new ArrayList<>();
        for (List<List<Map.Entry<String, Float>>> p : partials) {
          perShard.add(p.get(i).stream().map(e -> Hit.newBuilder().setId(e.getKey()).setScore(e.getValue()).build())
              .toList());
        }
        ShardMerge.merge(perShard, k);
      }
      long t1 = System.nanoTime();
      sharded[bi] = (t1 - t0) / 1e6;
      merge[bi] = (t1 - tm) / 1e6;
      parallel[bi] = (slowest + (t1 - tm)) / 1e6;
      shardedNanos += t1 - t0;
      long t2 = System.nanoTime();
      whole.gallery().search(q, k, null, raw);
      single[bi] = (System.nanoTime() - t2) / 1e6;
    }
    for (double[] a : List.of(sharded, parallel, merge, single)) {
      Arrays.sort(a);
    }
    long total = shards.stream().mapToLong(Built::bytes).sum();
    long perInstance = shards.stream().mapToLong(Built::bytes).max().orElse(0);
    double overhead = 100.0 * (pct(sharded, 50) - pct(single, 50)) / pct(single, 50);
    long heap = shards.stream().mapToLong(Built::heapBytes).sum();
    return new Row(n, s, dim, (double) total / n, (double) heap / n, perInstance, pct(sharded, 50), pct(sharded, 99),
        pct(parallel, 99), pct(merge, 99), pct(single, 50), pct(single, 99), batch * batches / (shardedNanos / 1e9),
        overhead);
  }

  private static INDArray queries(int batch, SplittableRandom r) {
    float[][] q = new float[batch][TEXT_DIM];
    for (float[] row : q) {
      for (int j = 0; j < row.length; j++) {
        row[j] = (float) (r.nextDouble() - 0.5);
      }
      Vectors.l2(row);
    }
    return Nd4j.create(q);
  }

  /** The raw vector of an item, the same every time it is asked for (a store's read), L2-normalised. */
  static float[] rawVector(String id) {
    SplittableRandom r = new SplittableRandom(id.hashCode() * 0x9E3779B97F4A7C15L);
    float[] v = new float[RAW_DIM];
    double norm = 0;
    for (int j = 0; j < RAW_DIM; j++) {
      v[j] = (float) (r.nextDouble() - 0.5);
      norm += v[j] * v[j];
    }
    float inv = (float) (1 / Math.sqrt(norm));
    for (int j = 0; j < RAW_DIM; j++) {
      v[j] *= inv;
    }
    return v;
  }

  /** Java heap in use after a full GC. */
  static long memory() {
    gc();
    return heap();
  }

  private static long heap() {
    Runtime rt = Runtime.getRuntime();
    return rt.totalMemory() - rt.freeMemory();
  }

  /** Full GCs until the heap in use stops falling. */
  private static void gc() {
    long last = Long.MAX_VALUE;
    for (int i = 0; i < 20; i++) {
      System.gc();
      try {
        Thread.sleep(150);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      long now = heap();
      if (now >= last && i >= 2) {
        return;
      }
      last = now;
    }
  }
}
