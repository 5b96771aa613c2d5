package io.xmodal.mapping;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarMax;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A fitted cross-modal map, as two linear projections into one comparison space:
 * text z = ((x − μx) A) ⊙ w, image z = ((y − μy) B) ⊙ w, both L2-normalised and compared by cosine (with the
 * hubness correction at scoring time). A or B null means the identity (that side is already in the space);
 * μ null means no centring; w null means no weighting.
 *
 * @param method    the family
 * @param variant   its options, e.g. {@code t2i c+l2 λ=0.1} or {@code pca+c+l2}
 * @param muX       text mean (1×dx) or null
 * @param muY       image mean (1×dy) or null
 * @param a         text projection (dx×k) or null
 * @param b         image projection (dy×k) or null
 * @param weights   per-dimension weights (1×k) or null
 * @param hubness   how scores are corrected for hubs
 */
public record LinearMap(Method method, Variant variant, INDArray muX, INDArray muY, INDArray a, INDArray b,
                        INDArray weights, HubnessCorrection hubness) implements CrossModalMap {

  /** Kept in float32: projections run in float32, and a cast per call would cost more than the product itself. */
  public LinearMap {
    muX = toFloat(muX);
    muY = toFloat(muY);
    a = toFloat(a);
    b = toFloat(b);
    weights = toFloat(weights);
  }

  private static INDArray toFloat(INDArray m) {
    return m == null ? null : m.castTo(DataType.FLOAT);
  }

  @Override
  public LinearMap withHubness(HubnessCorrection h) {
    return new LinearMap(method, variant, muX, muY, a, b, weights, h);
  }

  @Override
  public INDArray projectText(INDArray x) {
    return project(x, muX, a);
  }

  @Override
  public INDArray projectImages(INDArray y) {
    return project(y, muY, b);
  }

  // each step's result is fresh, so the one before it is freed at once (the caller's rows are never freed): a
  // model search projects its validation rows once per candidate, tens of MB off the Java heap each time
  private INDArray project(INDArray rows, INDArray mu, INDArray p) {
    INDArray z = affine(rows, mu, p, weights);
    return replaced(rows, z, normalizeRows(z));
  }

  /**
   * ((rows − μ) P) ⊙ w in float32, each of μ, P and w skipped where null; every intermediate step is freed, and the
   * result is {@code rows} itself only when nothing applies to rows already in float32.
   */
  static INDArray affine(INDArray rows, INDArray mu, INDArray p, INDArray w) {
    INDArray z = rows.castTo(DataType.FLOAT);
    if (mu != null) {
      z = replaced(rows, z, z.subRowVector(mu));
    }
    if (p != null) {
      z = replaced(rows, z, z.mmul(p));
    }
    if (w != null) {
      z = replaced(rows, z, z.mulRowVector(w));
    }
    return z;
  }

  /** {@code next}, having freed {@code previous} unless it is the caller's {@code input} (or {@code next} itself). */
  static INDArray replaced(INDArray input, INDArray previous, INDArray next) {
    if (previous != input && previous != next) {
      Linalg.release(previous);
    }
    return next;
  }

  /** Each row divided by its L2 norm (rows of zeros stay zero), in a fresh array. */
  public static INDArray normalizeRows(INDArray z) {
    INDArray norms = z.norm2(1).reshape(z.rows(), 1);
    INDArray floored = Nd4j.getExecutioner().exec(new ScalarMax(norms, 1e-12));
    INDArray normalised = z.divColumnVector(floored);
    Linalg.release(norms, floored);
    return normalised;
  }

  /** Dimension of the comparison space. */
  public long dimension() {
    if (a != null) {
      return a.columns();
    }
    if (b != null) {
      return b.columns();
    }
    return muX != null ? muX.columns() : -1;
  }
}
