package io.xmodal.mapping;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The least a mapping version of a map can weigh: its float32 parameters (means, projections, weights; a gMLP's
 * blocks) and, with a hubness correction, its references mapped into the comparison space as {@link Int8Rows} (one
 * byte per value and a float scale per row). The record's names, schema fields and metrics come on top. The model
 * search asks before it scores a candidate with references, so no time goes to one the size gate can never pass.
 */
public final class VersionSize {

  private VersionSize() {}

  /** Bytes of float32 parameters: four per value of each count. */
  public static long parameters(long... valueCounts) {
    long values = 0;
    for (long v : valueCounts) {
      values += v;
    }
    return 4 * values;
  }

  /** Bytes of the parameters of {@code map} (a {@link LinearMap}'s or a {@link GmlpMap}'s). */
  public static long parameters(CrossModalMap map) {
    if (map instanceof LinearMap l) {
      return parameters(length(l.muX()), length(l.muY()), length(l.a()), length(l.b()), length(l.weights()));
    }
    if (map instanceof GmlpMap g) {
      long bytes = parameters(length(g.muX()), length(g.muY()), length(g.a()), length(g.b()));
      for (GmlpMap.Block b : g.blocks()) {
        bytes += parameters(length(b.ln1Gamma()), length(b.ln1Beta()), length(b.w1()), length(b.b1()),
            length(b.ln2Gamma()), length(b.ln2Beta()), length(b.wg()), length(b.bg()), length(b.w2()), length(b.b2()));
      }
      return bytes;
    }
    throw new IllegalArgumentException("no size known for a " + map.getClass().getSimpleName());
  }

  /** Bytes of {@code captions} text and {@code images} image references mapped to {@code dimension} (int8 rows). */
  public static long references(long captions, long images, long dimension) {
    return (captions + images) * (dimension + 4);
  }

  private static long length(INDArray m) {
    return m == null ? 0 : m.length();
  }
}
