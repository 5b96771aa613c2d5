package io.xmodal.mapping;

import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.openblas.global.openblas;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.cpu.nativecpu.blas.CpuLapack;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The few dense linear-algebra operations the maps need, on float64 ND4J arrays, through BLAS and LAPACK (OpenBLAS,
 * the library ND4J itself runs on): factorisations and solves, never explicit inverses (ND4J's own {@code svd} op can
 * hang; {@code gesvd}, {@code syev}, {@code syevr}, {@code potrf}, {@code potrs} and {@code trsm} are the routines).
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

  /** Adds {@code lambda} to the diagonal of square {@code a}, in place. */
  public static void addToDiagonal(INDArray a, double lambda) {
    long d = a.rows();
    for (long i = 0; i < d; i++) {
      a.putScalar(i, i, a.getDouble(i, i) + lambda);
    }
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

  // X = A⁻¹B for symmetric positive-definite A (d×d) and B (d×m): A = LLᵀ (LAPACK potrf), then two triangular solves
  // (potrs), never an explicit inverse. A and B are left as they are; X is fresh (column-major).
  public static INDArray spdSolve(INDArray a, INDArray b) {
    INDArray l = choleskyLower(a);
    INDArray x = doubleColumnMajorCopy(b);
    int d = (int) a.rows();
    int m = (int) x.columns();
    int info = openblas.LAPACKE_dpotrs(openblas.LAPACK_COL_MAJOR, (byte) 'L', d, m, pointer(l), d, pointer(x), d);
    release(l);
    if (info != 0) {
      release(x);
      throw new ArithmeticException("potrs failed (info " + info + ")");
    }
    return x;
  }

  /**
   * The lower factor L of C = LLᵀ (symmetric positive-definite, d×d) by LAPACK potrf, column-major; its strictly upper
   * triangle holds C's values (the solves below read the lower one only). C is left as it is.
   */
  public static INDArray choleskyLower(INDArray c) {
    INDArray a = doubleColumnMajorCopy(c);
    int d = (int) a.rows();
    int info = openblas.LAPACKE_dpotrf(openblas.LAPACK_COL_MAJOR, (byte) 'L', d, pointer(a), d);
    if (info != 0) {
      release(a);
      throw new ArithmeticException("potrf: the matrix is not positive definite (info " + info + "); raise the ridge");
    }
    return a;
  }

  // X = L⁻¹B, or L⁻ᵀB when transposed, for the lower factor L (d×d) of choleskyLower and B (d×m): one triangular
  // solve (BLAS trsm) into a fresh column-major X; L and B are left as they are.
  public static INDArray solveLower(INDArray lower, INDArray b, boolean transposed) {
    INDArray x = doubleColumnMajorCopy(b);
    int d = (int) lower.rows();
    openblas.cblas_dtrsm(openblas.CblasColMajor, openblas.CblasLeft, openblas.CblasLower,
        transposed ? openblas.CblasTrans : openblas.CblasNoTrans, openblas.CblasNonUnit, d, (int) x.columns(), 1.0,
        pointer(lower), d, pointer(x), d);
    return x;
  }

  // X = B L⁻ᵀ for B (m×d) and the lower factor L (d×d): X Lᵀ = B solved by one trsm from the right, fresh X.
  public static INDArray solveLowerTransposedRight(INDArray b, INDArray lower) {
    INDArray x = doubleColumnMajorCopy(b);
    int d = (int) lower.rows();
    int m = (int) x.rows();
    openblas.cblas_dtrsm(openblas.CblasColMajor, openblas.CblasRight, openblas.CblasLower, openblas.CblasTrans,
        openblas.CblasNonUnit, m, d, 1.0, pointer(lower), d, pointer(x), m);
    return x;
  }

  // S V = V diag(w) for symmetric S (d×d): the k largest eigenvalues (descending) and their eigenvectors (d×k
  // columns), by LAPACK syevr on that index range only (the full syev of a 5,376² matrix takes minutes).
  public static Eigen topEigen(INDArray s, int k) {
    int d = (int) s.rows();
    if (k < 1 || k > d) {
      throw new IllegalArgumentException("top " + k + " eigenpairs of a " + d + "×" + d + " matrix");
    }
    INDArray a = doubleColumnMajorCopy(s);
    INDArray w = Nd4j.create(DataType.DOUBLE, d);
    INDArray z = Nd4j.create(DataType.DOUBLE, new long[] {d, k}, 'f');
    int found;
    int info;
    try (IntPointer count = new IntPointer(1L); IntPointer support = new IntPointer(2L * k)) {
      info = openblas.LAPACKE_dsyevr(openblas.LAPACK_COL_MAJOR, (byte) 'V', (byte) 'I', (byte) 'L', d, pointer(a), d,
          0, 0, d - k + 1, d, 0, count, pointer(w), pointer(z), d, support);
      found = count.get();
    }
    release(a);
    if (info != 0 || found != k) {
      release(w, z);
      throw new ArithmeticException("syevr did not converge (info " + info + ", " + found + " of " + k + ")");
    }
    // ascending: reversed to descending, values and columns alike
    INDArray values = Nd4j.create(DataType.DOUBLE, k);
    INDArray vectors = Nd4j.create(DataType.DOUBLE, new long[] {d, k}, 'f');
    for (int j = 0; j < k; j++) {
      values.putScalar(j, w.getDouble(k - 1 - j));
      vectors.putColumn(j, z.getColumn(k - 1 - j));
    }
    release(w, z);
    return new Eigen(values, vectors);
  }

  // the address of a fresh (unshared, offset 0) float64 array's values, for BLAS and LAPACK
  private static DoublePointer pointer(INDArray m) {
    if (m.dataType() != DataType.DOUBLE || m.isView() || m.offset() != 0) {
      throw new IllegalArgumentException("BLAS and LAPACK take whole float64 arrays, not views");
    }
    return (DoublePointer) m.data().addressPointer();
  }

  /** Eigenvalues (descending for {@link #topEigen}), eigenvectors as columns. */
  public record Eigen(INDArray values, INDArray vectors) {}

  /** Singular values descending. */
  public record Svd(INDArray u, INDArray s, INDArray vt) {}

  // M = U diag(s) Vᵀ for M (m×n), thin: U (m×k), Vᵀ (k×n), k = min(m, n), via LAPACK gesdd (divide and conquer,
  // several times faster than gesvd at 1,152 × 5,376), gesvd with jobu = jobvt = 'S' should it not converge (the full
  // Vᵀ of a composite encoder's n would be n×n, most of the cost and none of the use).
  public static Svd thinSvd(INDArray m) {
    int rows = (int) m.rows();
    int cols = (int) m.columns();
    int k = Math.min(rows, cols);
    INDArray a = doubleColumnMajorCopy(m);
    INDArray s = Nd4j.create(DataType.DOUBLE, k);
    INDArray u = Nd4j.create(DataType.DOUBLE, new long[] {rows, k}, 'f');
    INDArray vt = Nd4j.create(DataType.DOUBLE, new long[] {k, cols}, 'f');
    int code = openblas.LAPACKE_dgesdd(openblas.LAPACK_COL_MAJOR, (byte) 'S', rows, cols, pointer(a), rows, pointer(s),
        pointer(u), rows, pointer(vt), k);
    release(a);
    if (code == 0) {
      return new Svd(u, s, vt);
    }
    a = doubleColumnMajorCopy(m);
    INDArray info = Nd4j.create(DataType.INT, 1, 1);
    ((CpuLapack) Nd4j.getBlasWrapper().lapack())
        .dgesvd((byte) 'S', (byte) 'S', rows, cols, a, s, u, vt, info);
    code = info.getInt(0);
    release(a, info);
    if (code != 0) {
      throw new ArithmeticException("gesdd and gesvd did not converge (info " + code + ")");
    }
    return new Svd(u, s, vt);
  }

}
