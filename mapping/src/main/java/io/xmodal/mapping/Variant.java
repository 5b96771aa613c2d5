package io.xmodal.mapping;

import java.util.Locale;

/**
 * A map's options within its method, as data. Its {@link #label()} (what events persist and tables show) and its
 * {@link #family()} (the label without hyperparameters: the model search keeps the best of each family) are derived
 * from it; {@link #parse} reads a persisted label back, the only place a label is parsed.
 */
public sealed interface Variant {

  /** The persisted form, e.g. {@code t2i c+l2 λ=0.1}, {@code pca+c+l2}, {@code c+l2 r=0.3 k=384 w=σ^1}. */
  String label();

  /** The label without hyperparameters (λ, r, k; a weighting power becomes "weighted"). */
  String family();

  /** Least squares, one direction: {@code t2i|i2t c+l2|l2 λ=…}. */
  record LeastSquares(Fits.Direction direction, boolean centred, double lambda) implements Variant {
    @Override
    public String label() {
      return family() + " λ=" + lambda;
    }

    @Override
    public String family() {
      return direction.name().toLowerCase(Locale.ROOT) + " " + centring(centred);
    }
  }

  /** Orthogonal Procrustes, the dimension mismatch resolved by PCA of the image side or by zero-padding. */
  record Procrustes(Reduction reduction, boolean centred) implements Variant {
    /** How the two sides are brought to one dimension. */
    public enum Reduction { PCA, PAD }

    @Override
    public String label() {
      return reduction.name().toLowerCase(Locale.ROOT) + "+" + centring(centred);
    }

    @Override
    public String family() {
      return label();
    }
  }

  /**
   * Regularised CCA: ridge {@code reg} on the text side and {@code imageReg} on the image side (each relative to its
   * covariance's mean variance; labelled {@code r=0.3/2.0}, or {@code r=1.0} when they are equal), the top k
   * canonical directions, weighted by σ^power (0: unweighted).
   */
  record Cca(double reg, int dims, double power, double imageReg) implements Variant {

    /** The same ridge on both sides. */
    public Cca(double reg, int dims, double power) {
      this(reg, dims, power, reg);
    }

    @Override
    public String label() {
      return "c+l2 r=" + reg + (imageReg == reg ? "" : "/" + imageReg) + " k=" + dims
          + (power == 0 ? "" : " w=σ^" + number(power));
    }

    @Override
    public String family() {
      return "c+l2" + (power == 0 ? "" : " weighted");
    }
  }

  /**
   * A learned map started from a closed form: CONTRASTIVE fine-tunes both projections of {@code start}; GMLP adds a
   * gMLP block of {@code hidden} units on the text side, or the mean of {@code members} such blocks (labelled
   * {@code x3} and so on; the family is the same as one block's). {@code loss} is the training loss's name.
   */
  record Learned(Method method, int hidden, Variant start, String loss, int members) implements Variant {
    public Learned {
      if (members < 1 || members > 1 && method != Method.GMLP) {
        throw new IllegalArgumentException(method + " cannot have " + members + " members");
      }
    }

    public Learned(Method method, int hidden, Variant start, String loss) {
      this(method, hidden, start, loss, 1);
    }

    @Override
    public String label() {
      return method == Method.GMLP
          ? "text-gmlp h=" + hidden + (members > 1 ? " x" + members : "") + " from " + start.label() + " " + loss
          : start.label().replace("c+l2", "c+l2 from-cca") + " " + loss;
    }

    @Override
    public String family() {
      return method == Method.GMLP
          ? "text-gmlp h=" + hidden + " from " + start.family() + " " + loss
          : start.family().replace("c+l2", "c+l2 from-cca") + " " + loss;
    }
  }

  /** A label this version does not know (written by another version): kept and shown as it is. */
  record Opaque(String label) implements Variant {
    @Override
    public String family() {
      return label;
    }
  }

  private static String centring(boolean centred) {
    return centred ? "c+l2" : "l2";
  }

  private static String number(double v) {
    return v == Math.rint(v) ? Integer.toString((int) v) : Double.toString(v);
  }

  /** Reads a persisted label back; one that does not parse is kept {@link Opaque}. */
  static Variant parse(Method method, String label) {
    return VariantParser.parse(method, label);
  }
}
