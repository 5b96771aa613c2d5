package io.xmodal.mapping;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * The closed-form maps, each from {@link SufficientStats} alone (O(d³), independent of the number of pairs).
 * Inputs are the L2-normalised embeddings the statistics were built from; "centred" subtracts the means.
 * Regularisers are relative: λ·trace(C)/d, so one grid fits any scale.
 */
public final class Fits {

  private Fits() {}

  /** Which way a least-squares map goes. */
  public enum Direction { T2I, I2T }

  // Ridge: W = argmin ‖XW − Y‖² + λ‖W‖² = (XᵀX + λI)⁻¹XᵀY (dx×dy) for T2I; (YᵀY + λI)⁻¹YᵀX (dy×dx) for I2T.
  public static LinearMap leastSquares(SufficientStats s, double lambda, boolean centred, Direction direction) {
    Variant variant = new Variant.LeastSquares(direction, centred, lambda);
    INDArray cxy = s.cxy(centred);
    INDArray gram = direction == Direction.T2I ? s.cxx(centred) : s.cyy(centred);
    INDArray ridged = Linalg.plusRidge(gram, ridge(gram, lambda));
    INDArray inverse = Linalg.spdInverse(ridged);
    INDArray w = direction == Direction.T2I ? inverse.mmul(cxy) : inverse.mmul(cxy.transpose());
    Linalg.release(cxy, gram, ridged, inverse);
    return direction == Direction.T2I
        ? map(Method.LEAST_SQUARES, variant, s, centred, w, null)
        : map(Method.LEAST_SQUARES, variant, s, centred, null, w);
  }

  // Procrustes after PCA: P = top-dx eigenvectors of Cyy (dy×dx); R = UVᵀ with UΣVᵀ = SVD(Cxy P) minimises
  // ‖XR − YP‖ over orthogonal R (dx×dx); text maps by R, images by P.
  public static LinearMap procrustesPca(SufficientStats s, boolean centred) {
    int dx = s.textDim();
    INDArray cyy = s.cyy(centred);
    Linalg.Eigen eig = Linalg.symmetricEigen(cyy);
    long dy = s.imageDim();
    // syev sorts ascending: the last dx columns, largest first
    INDArray p = Nd4j.zeros(DataType.DOUBLE, dy, dx);
    for (int j = 0; j < dx; j++) {
      p.putColumn(j, eig.vectors().getColumn(dy - 1 - j));
    }
    INDArray cxy = s.cxy(centred);
    INDArray cxyP = cxy.mmul(p);
    INDArray r = orthogonal(cxyP);
    Linalg.release(cyy, eig.values(), eig.vectors(), cxy, cxyP);
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

  /** U Vᵀ over the leading min(m, n) singular directions of M (m×n): the nearest (semi-)orthogonal matrix. */
  static INDArray orthogonal(INDArray m) {
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

  /** The same with ridge {@code reg} on the text side and {@code imageReg} on the image side. */
  public static Cca cca(SufficientStats s, double reg, double imageReg) {
    INDArray lxi = whitener(s.cxx(true), reg);
    INDArray lyi = whitener(s.cyy(true), imageReg);
    INDArray cxy = s.cxy(true);
    INDArray left = lxi.mmul(cxy);
    INDArray lyiT = lyi.transpose();
    INDArray t = left.mmul(lyiT);
    Linalg.release(cxy, left);
    Linalg.Svd svd = Linalg.thinSvd(t);
    Linalg.release(t);
    long k = Math.min(s.textDim(), s.imageDim());
    INDArray a = lxi.transpose().mmul(svd.u().get(NDArrayIndex.all(), NDArrayIndex.interval(0, k)));
    INDArray b = lyiT.mmul(svd.vt().get(NDArrayIndex.interval(0, k), NDArrayIndex.all()).transpose());
    INDArray correlations = svd.s().dup();
    Linalg.release(lxi, lyi, svd.u(), svd.s(), svd.vt());
    return new Cca(reg, imageReg, s.meanX(), s.meanY(), a, b, correlations);
  }

  // L⁻¹ with C + rI = LLᵀ (the ridge r relative to C's trace); C is consumed (freed).
  private static INDArray whitener(INDArray c, double reg) {
    INDArray ridged = Linalg.plusRidge(c, ridge(c, reg));
    INDArray l = Linalg.cholesky(ridged);
    INDArray inverse = Linalg.lowerInverse(l);
    Linalg.release(c, ridged, l);
    return inverse;
  }

  /** A CCA solution, from which maps of any k and weighting are cut without refitting. */
  public record Cca(double reg, double imageReg, INDArray muX, INDArray muY, INDArray a, INDArray b,
                    INDArray correlations) {

    public LinearMap map(int k, double power) {
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
