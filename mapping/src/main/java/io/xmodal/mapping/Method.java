package io.xmodal.mapping;

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
}
