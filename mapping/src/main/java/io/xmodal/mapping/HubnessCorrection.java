package io.xmodal.mapping;

import java.util.List;
import java.util.stream.IntStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

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
    return penalties(List.of(this), gallery, reference)[0];
  }

  /**
   * The penalties of each correction of {@code corrections} (one row each, one penalty per gallery row), from one
   * pass over the gallery-to-reference similarities: a grid of corrections costs one product, not one each. The rows
   * are shared between the cores; an inverted softmax at twice another's β reuses its exponentials (exp(2βs) is
   * exp(βs)²).
   */
  public static float[][] penalties(List<HubnessCorrection> corrections, INDArray gallery,
                                    INDArray reference) {
    int g = (int) gallery.rows();
    float[][] out = new float[corrections.size()][g];
    if (reference == null || reference.rows() == 0 || corrections.stream().allMatch(c -> c.kind == Kind.NONE)) {
      return out;
    }
    int r = (int) reference.rows();
    // sims: g×r, in row chunks of at most 2,048 rows and 8 M similarities (32 MB), whatever the references' count
    int chunk = (int) Math.max(1, Math.min(2048, (8L << 20) / r));
    INDArray galleryFloat = gallery.castTo(DataType.FLOAT);
    INDArray referenceFloat = reference.castTo(DataType.FLOAT);
    for (int start = 0; start < g; start += chunk) {
      int end = Math.min(g, start + chunk);
      INDArray part = galleryFloat.get(NDArrayIndex.interval(start, end),
          NDArrayIndex.all());
      INDArray product = Nd4j.create(DataType.FLOAT,
          new long[] {end - start, r}, 'c');
      Nd4j.gemm(part, referenceFloat, product, false, true, 1.0, 0.0);
      float[] sims = product.data().asFloat();
      Linalg.release(product);
      int offset = start;
      IntStream.range(0, end - start).parallel()
          .forEach(j -> rowPenalties(corrections, sims, j * r, r, out, offset + j));
    }
    if (galleryFloat != gallery) {
      Linalg.release(galleryFloat);
    }
    if (referenceFloat != reference) {
      Linalg.release(referenceFloat);
    }
    return out;
  }

  // every correction's penalty for one gallery row, from its similarities sims[from, from + n)
  private static void rowPenalties(List<HubnessCorrection> corrections, float[] sims, int from, int n,
                                   float[][] out, int row) {
    float max = Float.NEGATIVE_INFINITY;
    for (int i = from; i < from + n; i++) {
      max = Math.max(max, sims[i]);
    }
    double[] sums = new double[corrections.size()];
    boolean[] done = new boolean[corrections.size()];
    for (int c = 0; c < corrections.size(); c++) {
      HubnessCorrection h = corrections.get(c);
      if (h.kind == Kind.NONE || done[c]) {
        continue;
      }
      if (h.kind == Kind.CSLS) {
        out[c][row] = h.cslsPenalty(sims, from, n);
        continue;
      }
      int twice = -1;
      for (int o = 0; o < corrections.size(); o++) {
        HubnessCorrection d = corrections.get(o);
        if (!done[o] && d.kind == Kind.INVERTED_SOFTMAX && d.beta == 2 * h.beta && o != c) {
          twice = o;
        }
      }
      double sum = 0;
      double sumSquares = 0;
      for (int i = from; i < from + n; i++) {
        double e = Math.exp(h.beta * ((double) sims[i] - max));
        sum += e;
        sumSquares += e * e;
      }
      out[c][row] = (float) (max + Math.log(sum) / h.beta);
      done[c] = true;
      if (twice >= 0) {
        out[twice][row] = (float) (max + Math.log(sumSquares) / (2 * h.beta));
        done[twice] = true;
      }
    }
  }

  private float cslsPenalty(float[] sims, int from, int n) {
    int kk = Math.min(k, n);
    float[] top = TopK.largest(sims, from, from + n, kk);
    double sum = 0;
    for (float v : top) {
      sum += v;
    }
    return (float) (0.5 * sum / kk);
  }
}
