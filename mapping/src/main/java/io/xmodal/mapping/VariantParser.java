package io.xmodal.mapping;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Reads {@link Variant} labels back (persisted MappingModel events); kept apart so the patterns stay private. */
final class VariantParser {

  private VariantParser() {}

  static Variant parse(Method method, String label) {
    Variant v = switch (method) {
      case LEAST_SQUARES -> leastSquares(label);
      case PROCRUSTES -> procrustes(label);
      case CCA -> cca(label);
      case CONTRASTIVE -> contrastive(label);
      case GMLP -> gmlp(label);
    };
    return v != null && v.label().equals(label) ? v : new Variant.Opaque(label);
  }

  private static final Pattern LEAST_SQUARES = Pattern.compile("(t2i|i2t) (c\\+l2|l2) λ=(\\S+)");
  private static final Pattern PROCRUSTES = Pattern.compile("(pca|pad)\\+(c\\+l2|l2)");
  private static final Pattern CCA = Pattern.compile("c\\+l2 r=([^\\s/]+)(?:/(\\S+))? k=(\\d+)(?: w=σ\\^(\\S+))?");
  private static final Pattern GMLP = Pattern.compile("text-gmlp h=(\\d+)(?: x(\\d+))? from (.+) (\\S+)");
  private static final Pattern CONTRASTIVE = Pattern.compile("(.+) (\\S+)");

  private static Variant leastSquares(String label) {
    Matcher m = LEAST_SQUARES.matcher(label);
    return m.matches() ? new Variant.LeastSquares(Fits.Direction.valueOf(m.group(1).toUpperCase(Locale.ROOT)),
        m.group(2).equals("c+l2"), Double.parseDouble(m.group(3))) : null;
  }

  private static Variant procrustes(String label) {
    Matcher m = PROCRUSTES.matcher(label);
    return m.matches() ? new Variant.Procrustes(Variant.Procrustes.Reduction.valueOf(m.group(1).toUpperCase(Locale.ROOT)),
        m.group(2).equals("c+l2")) : null;
  }

  private static Variant cca(String label) {
    Matcher m = CCA.matcher(label);
    if (!m.matches()) {
      return null;
    }
    double reg = Double.parseDouble(m.group(1));
    return new Variant.Cca(reg, Integer.parseInt(m.group(3)), m.group(4) == null ? 0 : Double.parseDouble(m.group(4)),
        m.group(2) == null ? reg : Double.parseDouble(m.group(2)));
  }

  private static Variant gmlp(String label) {
    Matcher m = GMLP.matcher(label);
    if (!m.matches()) {
      return null;
    }
    Variant start = cca(m.group(3));
    int members;
    try {
      members = m.group(2) == null ? 1 : Integer.parseInt(m.group(2));
    } catch (NumberFormatException e) {
      return null;
    }
    // "x0" is no ensemble: such a label is kept as it is ("x1", never written, fails parse's round trip)
    return start == null || members < 1 ? null
        : new Variant.Learned(Method.GMLP, Integer.parseInt(m.group(1)), start, m.group(4), members);
  }

  private static Variant contrastive(String label) {
    Matcher m = CONTRASTIVE.matcher(label);
    if (!m.matches()) {
      return null;
    }
    Variant start = cca(m.group(1).replace("c+l2 from-cca", "c+l2"));
    return start == null ? null : new Variant.Learned(Method.CONTRASTIVE, 0, start, m.group(2));
  }
}
