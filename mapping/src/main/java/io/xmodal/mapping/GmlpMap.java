package io.xmodal.mapping;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * A learned map with a gMLP block on the text side (Liu et al. 2021, "Pay Attention to MLPs", with channel-split
 * gating for single vectors) and a linear image side:
 * <pre>
 *   text:  z = (x − μx)A;  z ← z + W₂ (u ⊙ (LN₂(v)W_g + b_g)) + b₂,  [u, v] = GELU(LN₁(z)W₁ + b₁)
 *   image: z = (y − μy)B
 * </pre>
 * then both L2-normalised and compared by cosine (minus the hubness penalties). GELU is the tanh form, the same in
 * training and here, so what is served is what was trained.
 */
public record GmlpMap(String variant, INDArray muX, INDArray muY, INDArray a, INDArray b, Block block,
                      HubnessCorrection hubness) implements CrossModalMap {

  /** The gMLP block's parameters (float32): k → 2h → gate → k. */
  public record Block(INDArray ln1Gamma, INDArray ln1Beta, INDArray w1, INDArray b1, INDArray ln2Gamma,
                      INDArray ln2Beta, INDArray wg, INDArray bg, INDArray w2, INDArray b2) {

    public Block {
      ln1Gamma = f(ln1Gamma);
      ln1Beta = f(ln1Beta);
      w1 = f(w1);
      b1 = f(b1);
      ln2Gamma = f(ln2Gamma);
      ln2Beta = f(ln2Beta);
      wg = f(wg);
      bg = f(bg);
      w2 = f(w2);
      b2 = f(b2);
    }

    public int hidden() {
      return (int) wg.rows();
    }

    INDArray apply(INDArray z) {
      int h = hidden();
      INDArray uv = gelu(layerNorm(z, ln1Gamma, ln1Beta).mmul(w1).addRowVector(b1));
      INDArray u = uv.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
          org.nd4j.linalg.indexing.NDArrayIndex.interval(0, h));
      INDArray v = uv.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
          org.nd4j.linalg.indexing.NDArrayIndex.interval(h, 2 * h));
      INDArray gate = layerNorm(v.dup(), ln2Gamma, ln2Beta).mmul(wg).addRowVector(bg);
      return u.mul(gate).mmul(w2).addRowVector(b2);
    }
  }

  public GmlpMap {
    muX = f(muX);
    muY = f(muY);
    a = f(a);
    b = f(b);
  }

  @Override
  public Method method() {
    return Method.GMLP;
  }

  @Override
  public GmlpMap withHubness(HubnessCorrection h) {
    return new GmlpMap(variant, muX, muY, a, b, block, h);
  }

  @Override
  public INDArray projectText(INDArray x) {
    INDArray z = x.castTo(DataType.FLOAT).subRowVector(muX).mmul(a);
    return LinearMap.normalizeRows(z.add(block.apply(z)));
  }

  @Override
  public INDArray projectImages(INDArray y) {
    return LinearMap.normalizeRows(y.castTo(DataType.FLOAT).subRowVector(muY).mmul(b));
  }

  // LN(z) = (z − mean) / sqrt(var + 1e-5) · γ + β, per row
  static INDArray layerNorm(INDArray z, INDArray gamma, INDArray beta) {
    INDArray mean = z.mean(1).reshape(z.rows(), 1);
    INDArray centred = z.subColumnVector(mean);
    INDArray var = centred.mul(centred).mean(1).reshape(z.rows(), 1);
    INDArray std = Transforms.sqrt(var.addi(1e-5), false);
    return centred.divColumnVector(std).mulRowVector(gamma).addRowVector(beta);
  }

  // GELU, tanh form: 0.5·z·(1 + tanh(√(2/π)·(z + 0.044715·z³)))
  static INDArray gelu(INDArray z) {
    INDArray inner = z.add(z.mul(z).mul(z).muli(0.044715)).muli(Math.sqrt(2 / Math.PI));
    return z.mul(Transforms.tanh(inner, false).addi(1.0)).muli(0.5);
  }

  private static INDArray f(INDArray m) {
    return m == null ? null : m.castTo(DataType.FLOAT);
  }
}
