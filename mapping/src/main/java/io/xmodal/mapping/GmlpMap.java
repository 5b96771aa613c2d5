package io.xmodal.mapping;

import java.util.List;
import java.util.Random;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A learned map with a gMLP block on the text side (Liu et al. 2021, "Pay Attention to MLPs", with channel-split
 * gating for single vectors) and a linear image side:
 * <pre>
 *   text:  z = (x − μx)A;  z ← z + W₂ (u ⊙ (LN₂(v)W_g + b_g)) + b₂,  [u, v] = GELU(LN₁(z)W₁ + b₁)
 *   image: z = (y − μy)B
 * </pre>
 * then both L2-normalised and compared by cosine (minus the hubness penalties). GELU is the tanh form, the same in
 * training and here, so what is served is what was trained.
 *
 * <p>With several blocks (an ensemble of blocks trained with different seeds on the same frozen projections) the
 * residual is their mean: {@code z ← z + (1/m) Σ block_i(z)}.
 */
public record GmlpMap(Variant variant, INDArray muX, INDArray muY, INDArray a, INDArray b, List<Block> blocks,
                      HubnessCorrection hubness) implements CrossModalMap {

  /** The gMLP block's parameters (float32): k → 2h → gate → k. */
  public static final class Block {
    private final INDArray ln1Gamma;
    private final INDArray ln1Beta;
    private final INDArray w1;
    private final INDArray b1;
    private final INDArray ln2Gamma;
    private final INDArray ln2Beta;
    private final INDArray wg;
    private final INDArray bg;
    private final INDArray w2;
    private final INDArray b2;
    // the same parameters as row-major Java arrays, for the forward pass
    private final int h;
    private final float[] w1a;
    private final float[] wga;
    private final float[] w2a;
    private final float[] ln1g;
    private final float[] ln1b;
    private final float[] b1v;
    private final float[] ln2g;
    private final float[] ln2b;
    private final float[] bgv;
    private final float[] b2v;

    public Block(INDArray ln1Gamma, INDArray ln1Beta, INDArray w1, INDArray b1, INDArray ln2Gamma,
                 INDArray ln2Beta, INDArray wg, INDArray bg, INDArray w2, INDArray b2) {
      this.ln1Gamma = f(ln1Gamma);
      this.ln1Beta = f(ln1Beta);
      this.w1 = f(w1);
      this.b1 = f(b1);
      this.ln2Gamma = f(ln2Gamma);
      this.ln2Beta = f(ln2Beta);
      this.wg = f(wg);
      this.bg = f(bg);
      this.w2 = f(w2);
      this.b2 = f(b2);
      this.h = (int) this.wg.rows();
      this.w1a = Linalg.rowMajorFloats(this.w1);
      this.wga = Linalg.rowMajorFloats(this.wg);
      this.w2a = Linalg.rowMajorFloats(this.w2);
      this.ln1g = Linalg.rowMajorFloats(this.ln1Gamma);
      this.ln1b = Linalg.rowMajorFloats(this.ln1Beta);
      this.b1v = Linalg.rowMajorFloats(this.b1);
      this.ln2g = Linalg.rowMajorFloats(this.ln2Gamma);
      this.ln2b = Linalg.rowMajorFloats(this.ln2Beta);
      this.bgv = Linalg.rowMajorFloats(this.bg);
      this.b2v = Linalg.rowMajorFloats(this.b2);
    }

    /** A block of dimension k and hidden size h with Gaussian weights (std {@code std}; tests and benchmarks). */
    public static Block random(int k, int h, double std, Random r) {
      return new Block(gaussian(1, k, std, r).addi(1), gaussian(1, k, std, r), gaussian(k, 2 * h, std, r),
          gaussian(1, 2 * h, std, r), gaussian(1, h, std, r).addi(1), gaussian(1, h, std, r), gaussian(h, h, std, r),
          gaussian(1, h, std, r).addi(1), gaussian(h, k, std, r), gaussian(1, k, std, r));
    }

    private static INDArray gaussian(int rows, int cols, double std, Random r) {
      float[] v = new float[rows * cols];
      for (int i = 0; i < v.length; i++) {
        v[i] = (float) (r.nextGaussian() * std);
      }
      return Nd4j.create(v, new long[] {rows, cols}, DataType.FLOAT);
    }

    public INDArray ln1Gamma() {
      return ln1Gamma;
    }

    public INDArray ln1Beta() {
      return ln1Beta;
    }

    public INDArray w1() {
      return w1;
    }

    public INDArray b1() {
      return b1;
    }

    public INDArray ln2Gamma() {
      return ln2Gamma;
    }

    public INDArray ln2Beta() {
      return ln2Beta;
    }

    public INDArray wg() {
      return wg;
    }

    public INDArray bg() {
      return bg;
    }

    public INDArray w2() {
      return w2;
    }

    public INDArray b2() {
      return b2;
    }

    public int hidden() {
      return (int) wg.rows();
    }

    /**
     * The block on a batch of rows, over row-major float arrays: layer norms, GELU and gating in plain Java, the three
     * products in a Java loop for small batches and in BLAS from {@link #GEMM_ROWS} rows. Done entirely with ND4J ops
     * the same formulas paid a fixed cost per op (≈40 ops, each a native call with OpenMP dispatch), 9× the linear map
     * at batch 1 in {@code bench learned}.
     */
    INDArray apply(INDArray z) {
      int n = (int) z.rows();
      int k = w1a.length / (2 * h);
      float[] x = Linalg.rowMajorFloats(z);
      layerNormRows(x, n, k, ln1g, ln1b);
      float[] uv = mm(x, n, k, w1, w1a, b1, b1v);
      for (int i = 0; i < uv.length; i++) {
        uv[i] = gelu(uv[i]);
      }
      float[] u = new float[n * h];
      float[] v = new float[n * h];
      for (int r = 0; r < n; r++) {
        System.arraycopy(uv, r * 2 * h, u, r * h, h);
        System.arraycopy(uv, r * 2 * h + h, v, r * h, h);
      }
      layerNormRows(v, n, h, ln2g, ln2b);
      float[] gate = mm(v, n, h, wg, wga, bg, bgv);
      for (int i = 0; i < u.length; i++) {
        u[i] *= gate[i];
      }
      return Nd4j.create(mm(u, n, h, w2, w2a, b2, b2v), new long[] {n, k}, 'c');
    }

    /**
     * From this many rows a product goes to BLAS (ND4J's GEMM): measured on 2 vCPUs (k=384, h=256), batch 16 went from
     * ~190 to ~90 µs per query; below it the Java loop is cheaper than a native call.
     */
    static final int GEMM_ROWS = 4;

    // rows (n×d) · w (d×cols) + b; w and b given both as INDArrays and as their row-major values
    private static float[] mm(float[] rows, int n, int d, INDArray w, float[] wa, INDArray b, float[] ba) {
      if (n < GEMM_ROWS) {
        return matmul(rows, n, d, wa, ba);
      }
      INDArray x = Nd4j.create(rows, new long[] {n, d}, 'c');
      INDArray product = x.mmul(w).addiRowVector(b);
      float[] values = Linalg.rowMajorFloats(product);
      Linalg.release(x, product);
      return values;
    }

    // rows (n×d) · w (d×cols) + b, all row-major
    private static float[] matmul(float[] rows, int n, int d, float[] w, float[] bias) {
      int cols = bias.length;
      float[] out = new float[n * cols];
      for (int r = 0; r < n; r++) {
        System.arraycopy(bias, 0, out, r * cols, cols);
      }
      for (int i = 0; i < d; i++) {
        int wi = i * cols;
        for (int r = 0; r < n; r++) {
          float xi = rows[r * d + i];
          if (xi == 0f) {
            continue;
          }
          int o = r * cols;
          for (int j = 0; j < cols; j++) {
            out[o + j] += xi * w[wi + j];
          }
        }
      }
      return out;
    }

    // LN per row, in place: (z − mean) / sqrt(var + 1e-5) · γ + β
    private static void layerNormRows(float[] z, int n, int d, float[] gamma, float[] beta) {
      for (int r = 0; r < n; r++) {
        int o = r * d;
        double mean = 0;
        for (int i = 0; i < d; i++) {
          mean += z[o + i];
        }
        mean /= d;
        double var = 0;
        for (int i = 0; i < d; i++) {
          double c = z[o + i] - mean;
          var += c * c;
        }
        var /= d;
        float inv = (float) (1 / Math.sqrt(var + 1e-5));
        for (int i = 0; i < d; i++) {
          z[o + i] = (float) (z[o + i] - mean) * inv * gamma[i] + beta[i];
        }
      }
    }

    private static float gelu(float x) {
      return (float) (0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))));
    }
  }

  public GmlpMap {
    if (blocks == null || blocks.isEmpty()) {
      throw new IllegalArgumentException("a GMLP map needs at least one block");
    }
    blocks = List.copyOf(blocks);
    muX = f(muX);
    muY = f(muY);
    a = f(a);
    b = f(b);
  }

  /** A map with one block. */
  public GmlpMap(Variant variant, INDArray muX, INDArray muY, INDArray a, INDArray b, Block block,
                 HubnessCorrection hubness) {
    this(variant, muX, muY, a, b, List.of(block), hubness);
  }

  /** The first block (the only one unless this is an ensemble). */
  public Block block() {
    return blocks.get(0);
  }

  @Override
  public Method method() {
    return Method.GMLP;
  }

  @Override
  public GmlpMap withHubness(HubnessCorrection h) {
    return new GmlpMap(variant, muX, muY, a, b, blocks, h);
  }

  @Override
  public INDArray projectText(INDArray x) {
    INDArray z = LinearMap.affine(x, muX, a, null);
    INDArray residual = blocks.get(0).apply(z);
    for (int i = 1; i < blocks.size(); i++) {
      INDArray next = blocks.get(i).apply(z);
      residual.addi(next);
      Linalg.release(next);
    }
    if (blocks.size() > 1) {
      residual.divi(blocks.size());
    }
    INDArray sum = LinearMap.replaced(x, z, z.add(residual));
    Linalg.release(residual);
    return LinearMap.replaced(x, sum, LinearMap.normalizeRows(sum));
  }

  @Override
  public INDArray projectImages(INDArray y) {
    INDArray z = LinearMap.affine(y, muY, b, null);
    return LinearMap.replaced(y, z, LinearMap.normalizeRows(z));
  }

  private static INDArray f(INDArray m) {
    return m == null ? null : m.castTo(DataType.FLOAT);
  }
}
