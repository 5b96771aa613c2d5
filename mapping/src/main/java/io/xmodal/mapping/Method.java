package io.xmodal.mapping;

import java.util.Arrays;
import java.util.List;

/** The families of cross-modal maps (the paper's least squares and Procrustes, classical CCA, learned maps). */
public enum Method {
  LEAST_SQUARES,
  PROCRUSTES,
  CCA,
  CONTRASTIVE,
  GMLP;

  /** Whether maps of this method are trained (by the learned module) rather than solved in closed form. */
  public boolean learned() {
    return this == CONTRASTIVE || this == GMLP;
  }

  /** The learned methods, in declaration order. */
  public static List<Method> learnedMethods() {
    return Arrays.stream(values()).filter(Method::learned).toList();
  }
}
