package io.xmodal.mapping;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The few dense linear-algebra operations the maps need, on float64 ND4J arrays, through LAPACK (ND4J's own
 * {@code svd} op can hang; {@code gesvd} and {@code syev} are the LAPACK routines).
 */
public final class Linalg {

  private Linalg() {}

  /** A fresh float64 matrix. */
  public static INDArray zeros(long rows, long cols) {
    return Nd4j.zeros(DataType.DOUBLE, rows, cols);
  }

  /** Copies a float[][] (rows) into a float64 matrix. */
  public static INDArray matrix(float[][] rows) {
    int n = rows.length;
    int d = n == 0 ? 0 : rows[0].length;
    double[] flat = new double[n * d];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < d; j++) {
        flat[i * d + j] = rows[i][j];
      }
    }
    return Nd4j.create(flat, new long[] {n, d}, DataType.DOUBLE);
  }

  /** Copies a float[][] (rows) into a float32 matrix (what a map projects and searches). */
  public static INDArray floatMatrix(float[][] rows) {
    int n = rows.length;
    int d = n == 0 ? 0 : rows[0].length;
    float[] flat = new float[n * d];
    for (int i = 0; i < n; i++) {
      System.arraycopy(rows[i], 0, flat, i * d, d);
    }
    return Nd4j.create(flat, new long[] {n, d}, DataType.FLOAT);
  }

  /** The identity, scaled: λI (d×d). */
  public static INDArray eye(long d, double lambda) {
    INDArray eye = Nd4j.eye(d);
    INDArray scaled = eye.castTo(DataType.DOUBLE).muli(lambda);
    if (scaled != eye) {
      release(eye);
    }
    return scaled;
  }

  /** {@code a + λI} for square {@code a}, in a fresh array ({@code a} is left as it is). */
  public static INDArray plusRidge(INDArray a, double lambda) {
    INDArray eye = eye(a.rows(), lambda);
    INDArray sum = a.add(eye);
    release(eye);
    return sum;
  }

  /**
   * Frees the off-heap buffers of arrays no longer needed, now instead of at a later garbage collection (the
   * collector sees only the small Java objects, so a few d×d float64 temporaries of a 5,376-d image side, 231 MB each,
   * pile up to gigabytes between collections). Null is skipped, and so is an array already freed. Never pass a
   * view that shares a buffer another array still uses: a transpose or reshape counts as closeable and would free it.
   */
  public static void release(INDArray... arrays) {
    for (INDArray a : arrays) {
      if (a != null && a.closeable()) {
        a.close();
      }
    }
  }

  /** m's values as float32 in row-major order, on the Java heap; the cast and the copy made for it are freed at once. */
  public static float[] rowMajorFloats(INDArray m) {
    INDArray cast = m.castTo(DataType.FLOAT);
    INDArray copy = cast.dup('c');
    float[] values = copy.data().asFloat();
    release(copy, cast == m ? null : cast);
    return values;
  }

  // a fresh float64 column-major copy of m, for LAPACK to overwrite; a float32 m's cast copy is freed at once
  private static INDArray doubleColumnMajorCopy(INDArray m) {
    INDArray cast = m.castTo(DataType.DOUBLE);
    INDArray copy = cast.dup('f');
    if (cast != m) {
      release(cast);
    }
    return copy;
  }

  // A⁻¹ for symmetric positive-definite A = LLᵀ: A⁻¹ = L⁻ᵀL⁻¹ (Cholesky via LAPACK potrf, then a triangular inverse).
  public static INDArray spdInverse(INDArray a) {
    INDArray l = cholesky(a);
    INDArray li = lowerInverse(l);
    INDArray inverse = li.transpose().mmul(li);
    release(l, li);
    return inverse;
  }

  // L⁻¹ for lower-triangular L (d×d) by forward substitution, row by row: row i of X = L⁻¹ is
  // (eᵢ − Σ_{k<i} L[i][k]·X[k]) / L[i][i], so the inner loop is a row update over contiguous memory: O(d³/6).
  public static INDArray lowerInverse(INDArray lower) {
    int d = (int) lower.rows();
    double[][] l = lower.castTo(DataType.DOUBLE).toDoubleMatrix();
    double[][] inv = new double[d][d];
    for (int i = 0; i < d; i++) {
      double[] xi = inv[i];
      double[] li = l[i];
      xi[i] = 1.0;
      for (int k = 0; k < i; k++) {
        double c = li[k];
        if (c == 0) {
          continue;
        }
        double[] xk = inv[k];
        for (int j = 0; j <= k; j++) {
          xi[j] -= c * xk[j];
        }
      }
      double scale = 1.0 / li[i];
      for (int j = 0; j <= i; j++) {
        xi[j] *= scale;
      }
    }
    return Nd4j.create(inv).castTo(DataType.DOUBLE);
  }

  // S = V diag(w) Vᵀ for symmetric S (d×d): returns w ascending and V (columns), via LAPACK syev.
  public static Eigen symmetricEigen(INDArray s) {
    long d = s.rows();
    INDArray v = doubleColumnMajorCopy(s);
    INDArray w = Nd4j.create(DataType.DOUBLE, d);
    int info = Nd4j.getBlasWrapper().lapack().syev('V', 'U', v, w);
    if (info != 0) {
      throw new ArithmeticException("syev did not converge (info " + info + ")");
    }
    return new Eigen(w, v);
  }

  /** Eigenvalues ascending, eigenvectors as columns. */
  public record Eigen(INDArray values, INDArray vectors) {}

  /** Singular values descending. */
  public record Svd(INDArray u, INDArray s, INDArray vt) {}

  // M = U diag(s) Vᵀ for M (m×n), thin: U (m×k), Vᵀ (k×n), k = min(m, n), via LAPACK gesvd with jobu = jobvt = 'S'
  // (a composite image encoder makes n = 3,328: the full Vᵀ would be n×n, most of the cost and none of the use).
  public static Svd thinSvd(INDArray m) {
    int rows = (int) m.rows();
    int cols = (int) m.columns();
    int k = Math.min(rows, cols);
    INDArray a = doubleColumnMajorCopy(m);
    INDArray s = Nd4j.create(DataType.DOUBLE, k);
    INDArray u = Nd4j.create(DataType.DOUBLE, new long[] {rows, k}, 'f');
    INDArray vt = Nd4j.create(DataType.DOUBLE, new long[] {k, cols}, 'f');
    INDArray info = Nd4j.create(DataType.INT, 1, 1);
    ((org.nd4j.linalg.cpu.nativecpu.blas.CpuLapack) Nd4j.getBlasWrapper().lapack())
        .dgesvd((byte) 'S', (byte) 'S', rows, cols, a, s, u, vt, info);
    int code = info.getInt(0);
    release(a, info);
    if (code != 0) {
      throw new ArithmeticException("gesvd did not converge (info " + code + ")");
    }
    return new Svd(u, s, vt);
  }

  // C = L Lᵀ for symmetric positive-definite C: the lower factor L, via LAPACK potrf.
  public static INDArray cholesky(INDArray c) {
    INDArray a = doubleColumnMajorCopy(c);
    Nd4j.getBlasWrapper().lapack().potrf(a, true);
    // LAPACK leaves the other triangle untouched: clear it
    long d = a.rows();
    for (int i = 0; i < d; i++) {
      for (int j = i + 1; j < d; j++) {
        a.putScalar(i, j, 0.0);
      }
    }
    return a;
  }
}
