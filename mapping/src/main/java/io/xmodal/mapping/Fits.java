package io.xmodal.mapping;

import java.util.HashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The closed-form maps, each from {@link SufficientStats} alone (O(d³), independent of the number of pairs).
 * Inputs are the L2-normalised embeddings the statistics were built from; "centred" subtracts the means.
 * Regularisers are relative: λ·trace(C)/d, so one grid fits any scale.
 */
public final class Fits {

  private Fits() {}

  /** Which way a least-squares map goes. */
  public enum Direction { T2I, I2T }

  // Ridge: W = argmin ‖XW − Y‖² + λ‖W‖² = (XᵀX + λI)⁻¹XᵀY (dx×dy) for T2I; (YᵀY + λI)⁻¹YᵀX (dy×dx) for I2T, solved
  // through the Cholesky factor (potrf, potrs), never through an explicit inverse.
  public static LinearMap leastSquares(SufficientStats s, double lambda, boolean centred, Direction direction) {
    Variant variant = new Variant.LeastSquares(direction, centred, lambda);
    INDArray cxy = s.cxy(centred);
    INDArray gram = direction == Direction.T2I ? s.cxx(centred) : s.cyy(centred);
    Linalg.addToDiagonal(gram, ridge(gram, lambda));
    INDArray w = Linalg.spdSolve(gram, direction == Direction.T2I ? cxy : cxy.transpose());
    Linalg.release(cxy, gram);
    return direction == Direction.T2I
        ? map(Method.LEAST_SQUARES, variant, s, centred, w, null)
        : map(Method.LEAST_SQUARES, variant, s, centred, null, w);
  }

  // Procrustes after PCA: P = top-dx eigenvectors of Cyy (dy×dx); R = UVᵀ with UΣVᵀ = SVD(Cxy P) minimises
  // ‖XR − YP‖ over orthogonal R (dx×dx); text maps by R, images by P. Only the top dx eigenpairs are computed.
  public static LinearMap procrustesPca(SufficientStats s, boolean centred) {
    int dx = s.textDim();
    INDArray cyy = s.cyy(centred);
    Linalg.Eigen eig = Linalg.topEigen(cyy, dx);
    INDArray p = eig.vectors();
    INDArray cxy = s.cxy(centred);
    INDArray cxyP = cxy.mmul(p);
    INDArray r = orthogonal(cxyP);
    Linalg.release(cyy, eig.values(), cxy, cxyP);
    return map(Method.PROCRUSTES, new Variant.Procrustes(Variant.Procrustes.Reduction.PCA, centred), s, centred, r, p);
  }

  // Procrustes with zero-padding: the text side padded to dy dimensions; R = UVᵀ (dx×dy, RRᵀ = I) with UΣVᵀ =
  // SVD(Cxy) minimises ‖XR − Y‖ over semi-orthogonal R; images stay in their own space.
  public static LinearMap procrustesPad(SufficientStats s, boolean centred) {
    INDArray cxy = s.cxy(centred);
    INDArray r = orthogonal(cxy);
    Linalg.release(cxy);
    return map(Method.PROCRUSTES, new Variant.Procrustes(Variant.Procrustes.Reduction.PAD, centred), s, centred, r,
        null);
  }

  /**
   * U Vᵀ over the leading min(m, n) singular directions of M (m×n): the nearest (semi-)orthogonal matrix, its polar
   * factor. For m ≤ n it is (M Mᵀ)^(−½) M, from the eigenpairs of the small side's m×m Gram matrix (M (MᵀM)^(−½) for
   * m > n); a nearly rank-deficient M, whose inverse square root would amplify rounding, goes through the SVD.
   */
  static INDArray orthogonal(INDArray m) {
    boolean wide = m.rows() <= m.columns();
    INDArray gram = wide ? m.mmul(m.transpose()) : m.transpose().mmul(m);
    int d = (int) gram.rows();
    Linalg.Eigen eig = Linalg.topEigen(gram, d);
    Linalg.release(gram);
    double largest = eig.values().getDouble(0);
    double smallest = eig.values().getDouble(d - 1);
    if (!(largest > 0) || smallest <= 1e-10 * largest) {
      Linalg.release(eig.values(), eig.vectors());
      return orthogonalBySvd(m);
    }
    INDArray root = Transforms.sqrt(eig.values(), true).reshape(1, d);
    INDArray scaled = eig.vectors().divRowVector(root);
    INDArray inverseRoot = scaled.mmul(eig.vectors().transpose());
    INDArray orthogonal = wide ? inverseRoot.mmul(m) : m.mmul(inverseRoot);
    Linalg.release(root, scaled, inverseRoot, eig.values(), eig.vectors());
    return orthogonal;
  }

  static INDArray orthogonalBySvd(INDArray m) {
    Linalg.Svd svd = Linalg.thinSvd(m);
    long k = Math.min(m.rows(), m.columns());
    INDArray u = svd.u().get(NDArrayIndex.all(), NDArrayIndex.interval(0, k));
    INDArray vt = svd.vt().get(NDArrayIndex.interval(0, k), NDArrayIndex.all());
    INDArray orthogonal = u.mmul(vt);
    Linalg.release(svd.u(), svd.s(), svd.vt());
    return orthogonal;
  }

  // Regularised CCA: with Cxx+rI = LxLxᵀ and Cyy+rI = LyLyᵀ (Cholesky), T = Lx⁻¹ Cxy Ly⁻ᵀ = UΣVᵀ; the canonical
  // directions A = Lx⁻ᵀU (dx×k), B = Ly⁻ᵀV (dy×k) maximise correlation; dimension j is weighted by σⱼ^power.
  public static Cca cca(SufficientStats s, double reg) {
    return cca(s, reg, reg);
  }

  /** The same with ridge {@code reg} on the text side and {@code imageReg} on the image side, every direction. */
  public static Cca cca(SufficientStats s, double reg, double imageReg) {
    return cca(s, reg, imageReg, Math.min(s.textDim(), s.imageDim()));
  }

  /** The same, the top {@code k} directions only (the only ones a cut at k or less uses). */
  public static Cca cca(SufficientStats s, double reg, double imageReg, int k) {
    try (CcaFactors f = new CcaFactors(s)) {
      return f.cca(reg, imageReg, k);
    }
  }

  /**
   * The factorisations a grid of CCA ridges shares, from one set of statistics: each text ridge's Cholesky factor,
   * and the image side's factor and Cxy Ly⁻ᵀ for one image ridge at a time (231 MB and 50 MB at 5,376 × 1,152), so
   * ridges fitted image ridge by image ridge factor the large side once per image ridge. Closing frees them.
   */
  public static final class CcaFactors implements AutoCloseable {
    private final SufficientStats s;
    private final Map<Double, INDArray> text = new HashMap<>();
    private INDArray cxy;
    private double imageReg = Double.NaN;
    private INDArray ly;
    private INDArray cxyLyT;

    public CcaFactors(SufficientStats s) {
      this.s = s;
    }

    /** CCA with these ridges, its top {@code k} directions. */
    public Cca cca(double reg, double imageReg, int k) {
      int most = Math.min(s.textDim(), s.imageDim());
      if (k < 1 || k > most) {
        throw new IllegalArgumentException("CCA of " + s.textDim() + "×" + s.imageDim() + " has 1 to " + most
            + " directions, not " + k);
      }
      INDArray lx = text.computeIfAbsent(reg, r -> factor(s.cxx(true), r));
      if (ly == null || Double.compare(imageReg, this.imageReg) != 0) {
        Linalg.release(ly, cxyLyT);
        if (cxy == null) {
          cxy = s.cxy(true);
        }
        ly = factor(s.cyy(true), imageReg);
        cxyLyT = Linalg.solveLowerTransposedRight(cxy, ly);
        this.imageReg = imageReg;
      }
      INDArray t = Linalg.solveLower(lx, cxyLyT, false);
      Singular top = topSingular(t, k);
      Linalg.release(t);
      INDArray a = Linalg.solveLower(lx, top.u(), true);
      INDArray b = Linalg.solveLower(ly, top.v(), true);
      Linalg.release(top.u(), top.v());
      return new Cca(reg, imageReg, s.meanX(), s.meanY(), a, b, top.s());
    }

    @Override
    public void close() {
      text.values().forEach(Linalg::release);
      text.clear();
      Linalg.release(cxy, ly, cxyLyT);
      cxy = ly = cxyLyT = null;
    }

    // the lower Cholesky factor of C + rI (the ridge r relative to C's trace); C is consumed (freed)
    private static INDArray factor(INDArray c, double reg) {
      Linalg.addToDiagonal(c, ridge(c, reg));
      INDArray l = Linalg.choleskyLower(c);
      Linalg.release(c);
      return l;
    }
  }

  /** Singular triplets: U (m×k), σ (k, descending), V (n×k). */
  record Singular(INDArray u, INDArray s, INDArray v) {}

  /**
   * The top k singular triplets of T (m×n). From the eigenpairs of the smaller Gram matrix (T Tᵀ for m ≤ n: U, σ²; then V = TᵀUσ⁻¹); when
   * σ_k is too small beside σ_1 for that to be accurate, from the thin SVD.
   */
  static Singular topSingular(INDArray t, int k) {
    boolean wide = t.rows() <= t.columns();
    INDArray gram = wide ? t.mmul(t.transpose()) : t.transpose().mmul(t);
    Linalg.Eigen eig = Linalg.topEigen(gram, k);
    Linalg.release(gram);
    double first = eig.values().getDouble(0);
    double last = eig.values().getDouble(k - 1);
    if (!(first > 0) || last <= 1e-12 * first) {
      Linalg.release(eig.values(), eig.vectors());
      Linalg.Svd svd = Linalg.thinSvd(t);
      INDArray u = svd.u().get(NDArrayIndex.all(), NDArrayIndex.interval(0, k)).dup('f');
      INDArray v = svd.vt().get(NDArrayIndex.interval(0, k), NDArrayIndex.all()).transpose().dup('f');
      INDArray sigma = svd.s().get(NDArrayIndex.interval(0, k)).dup();
      Linalg.release(svd.u(), svd.s(), svd.vt());
      return new Singular(u, sigma, v);
    }
    INDArray sigma = Transforms.sqrt(eig.values(), true);
    INDArray known = eig.vectors();
    INDArray product = wide ? t.transpose().mmul(known) : t.mmul(known);
    INDArray other = product.divRowVector(sigma.reshape(1, k)); // a view of sigma: not freed
    Linalg.release(eig.values(), product);
    return wide ? new Singular(known, sigma, other) : new Singular(other, sigma, known);
  }

  /** A CCA solution, from which maps of any k and weighting are cut without refitting. */
  public record Cca(double reg, double imageReg, INDArray muX, INDArray muY, INDArray a, INDArray b,
                    INDArray correlations) {

    /** Frees the solution's arrays (the maps cut from it hold their own copies). */
    public void release() {
      Linalg.release(muX, muY, a, b, correlations);
    }

    public LinearMap map(int k, double power) {
      if (k > a.columns()) {
        throw new IllegalArgumentException("this CCA solution holds " + a.columns() + " directions, not " + k);
      }
      // views: the map keeps float32 copies of them
      INDArray ak = a.get(NDArrayIndex.all(), NDArrayIndex.interval(0, k));
      INDArray bk = b.get(NDArrayIndex.all(), NDArrayIndex.interval(0, k));
      INDArray w = null;
      if (power != 0) {
        w = Nd4j.create(DataType.DOUBLE, 1, k);
        for (int j = 0; j < k; j++) {
          w.putScalar(0, j, Math.pow(Math.max(correlations.getDouble(j), 1e-6), power));
        }
      }
      return kept(new LinearMap(Method.CCA, new Variant.Cca(reg, k, power, imageReg), muX,
          muY, ak, bk, w, HubnessCorrection.NONE), w);
    }
  }

  // an unweighted map from projections made for it alone, centred on the statistics' means or not
  private static LinearMap map(Method method, Variant variant, SufficientStats s, boolean centred, INDArray a,
                               INDArray b) {
    INDArray muX = centred ? s.meanX() : null;
    INDArray muY = centred ? s.meanY() : null;
    return kept(new LinearMap(method, variant, muX, muY, a, b, null, HubnessCorrection.NONE), muX, muY, a, b);
  }

  // a map keeps float32 copies of its float64 parts: those made for it alone are freed here, not at a collection
  private static LinearMap kept(LinearMap map, INDArray... float64) {
    for (INDArray m : float64) {
      if (m != null && m != map.muX() && m != map.muY() && m != map.a() && m != map.b() && m != map.weights()) {
        Linalg.release(m);
      }
    }
    return map;
  }

  private static double ridge(INDArray c, double lambda) {
    double trace = 0;
    long d = c.rows();
    for (int i = 0; i < d; i++) {
      trace += c.getDouble(i, i);
    }
    return lambda * trace / d;
  }
}
