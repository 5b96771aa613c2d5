package io.xmodal.encoders;

/**
 * How a composite encoder joins its blocks' vectors into one. Part of the encoder's identity: vectors combined by
 * different rules are never compared.
 */
public enum Combination {

  /**
   * Each block L2-normalised, the blocks concatenated, the result L2-normalised again: every block carries the same
   * weight (1/√B of the unit norm) whatever its dimension or scale.
   */
  L2_CONCAT_L2("l2-concat-l2");

  private final String label;

  Combination(String label) {
    this.label = label;
  }

  public String label() {
    return label;
  }

  /** One row per input: the blocks' rows ({@code blocks[b][i]}) combined. */
  public float[][] combine(float[][][] blocks) {
    int n = blocks[0].length;
    int dim = 0;
    for (float[][] b : blocks) {
      if (b.length != n) {
        throw new IllegalArgumentException("blocks disagree on the batch size: " + b.length + " vs " + n);
      }
      dim += n == 0 ? 0 : b[0].length;
    }
    float[][] out = new float[n][];
    for (int i = 0; i < n; i++) {
      float[] row = new float[dim];
      int at = 0;
      for (float[][] b : blocks) {
        float[] v = b[i];
        double norm = 0;
        for (float x : v) {
          norm += (double) x * x;
        }
        // each block to unit length, then all of them to unit length: each block ends at norm 1/√B
        float scale = (float) (1.0 / (Math.sqrt(Math.max(norm, 1e-24)) * Math.sqrt(blocks.length)));
        for (int k = 0; k < v.length; k++) {
          row[at + k] = v[k] * scale;
        }
        at += v.length;
      }
      out[i] = row;
    }
    return out;
  }
}
