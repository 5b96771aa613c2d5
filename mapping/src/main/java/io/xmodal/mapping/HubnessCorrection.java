package io.xmodal.mapping;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Hubness correction at scoring time. Some gallery items ("hubs") are near everything; both corrections subtract a
 * per-item penalty computed against a reference set of queries Q (mapped, unit length), so score(q, y) =
 * cos(q, y) − penalty(y):
 * <ul>
 *   <li>CSLS (Lample et al. 2018), k neighbours: penalty(y) = ½·mean of the k largest cos(q', y) over q' ∈ Q
 *       (CSLS = 2cos − r_q − r_y; r_q does not change a query's ranking);</li>
 *   <li>inverted softmax (Smith et al. 2017), temperature β: penalty(y) = (1/β)·log Σ_{q'∈Q} exp(β·cos(q', y)),
 *       so scores are log-probabilities normalised over queries rather than over the gallery.</li>
 * </ul>
 */
public record HubnessCorrection(Kind kind, int k, double beta) {

  public enum Kind { NONE, CSLS, INVERTED_SOFTMAX }

  public static final HubnessCorrection NONE = new HubnessCorrection(Kind.NONE, 0, 0);

  public static HubnessCorrection csls(int k) {
    return new HubnessCorrection(Kind.CSLS, k, 0);
  }

  public static HubnessCorrection invertedSoftmax(double beta) {
    return new HubnessCorrection(Kind.INVERTED_SOFTMAX, 0, beta);
  }

  /** How it appears in a label: "", " +CSLS10", " +IS30". */
  public String suffix() {
    return switch (kind) {
      case NONE -> "";
      case CSLS -> " +CSLS" + k;
      case INVERTED_SOFTMAX -> " +IS" + (int) beta;
    };
  }

  /** As the MappingModel's scoring field: cosine, csls:10, inverted-softmax:30. */
  public String encode() {
    return switch (kind) {
      case NONE -> "cosine";
      case CSLS -> "csls:" + k;
      case INVERTED_SOFTMAX -> "inverted-softmax:" + beta;
    };
  }

  public static HubnessCorrection decode(String s) {
    if (s == null || s.isBlank() || s.equals("cosine")) {
      return NONE;
    }
    String[] p = s.split(":");
    return switch (p[0]) {
      case "csls" -> csls(Integer.parseInt(p[1]));
      case "inverted-softmax" -> invertedSoftmax(Double.parseDouble(p[1]));
      default -> throw new IllegalArgumentException("unknown scoring '" + s + "'");
    };
  }

  /**
   * One penalty per gallery row. {@code gallery} (g×k) and {@code reference} (r×k) are mapped and unit length.
   */
  public float[] penalties(INDArray gallery, INDArray reference) {
    return penalties(java.util.List.of(this), gallery, reference)[0];
  }

  /**
   * The penalties of each correction of {@code corrections} (one row each, one penalty per gallery row), from one
   * pass over the gallery-to-reference similarities: a grid of corrections costs one product, not one each.
   */
  public static float[][] penalties(java.util.List<HubnessCorrection> corrections, INDArray gallery,
                                    INDArray reference) {
    int g = (int) gallery.rows();
    float[][] out = new float[corrections.size()][g];
    if (reference == null || reference.rows() == 0 || corrections.stream().allMatch(c -> c.kind == Kind.NONE)) {
      return out;
    }
    // sims: r×g, in column chunks of at most 2,048 rows and 8 M similarities (32 MB), whatever the references' count
    int chunk = (int) Math.max(1, Math.min(2048, (8L << 20) / reference.rows()));
    for (int start = 0; start < g; start += chunk) {
      int end = Math.min(g, start + chunk);
      INDArray part = gallery.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(start, end),
          org.nd4j.linalg.indexing.NDArrayIndex.all());
      float[][] sims = reference.mmul(part.transpose()).transpose().toFloatMatrix();
      for (int c = 0; c < out.length; c++) {
        HubnessCorrection h = corrections.get(c);
        for (int j = 0; j < sims.length && h.kind != Kind.NONE; j++) {
          out[c][start + j] = h.kind == Kind.CSLS ? h.cslsPenalty(sims[j]) : h.isPenalty(sims[j]);
        }
      }
    }
    return out;
  }

  private float cslsPenalty(float[] sims) {
    int kk = Math.min(k, sims.length);
    float[] top = TopK.largest(sims, kk);
    double sum = 0;
    for (float v : top) {
      sum += v;
    }
    return (float) (0.5 * sum / kk);
  }

  private float isPenalty(float[] sims) {
    double max = Double.NEGATIVE_INFINITY;
    for (float v : sims) {
      max = Math.max(max, beta * v);
    }
    double sum = 0;
    for (float v : sims) {
      sum += Math.exp(beta * v - max);
    }
    return (float) ((max + Math.log(sum)) / beta);
  }
}
