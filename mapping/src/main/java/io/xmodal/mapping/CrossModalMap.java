package io.xmodal.mapping;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A fitted cross-modal map: text rows and image rows projected into one comparison space, unit length, compared by
 * cosine minus the hubness penalties. Closed forms are {@link LinearMap}s; learned maps may be non-linear on one side.
 */
public interface CrossModalMap {

  Method method();

  /** The method's options, e.g. {@code c+l2 r=0.3 k=256} as its label. */
  Variant variant();

  HubnessCorrection hubness();

  CrossModalMap withHubness(HubnessCorrection h);

  /** Text rows (n×dx) into the comparison space, unit length, float32. */
  INDArray projectText(INDArray x);

  /** Image rows (n×dy) into the comparison space, unit length, float32. */
  INDArray projectImages(INDArray y);

  /** The name the evaluation table and the mapping versions show: method, variant, hubness. */
  default String label() {
    return method() + " " + variant().label() + hubness().suffix();
  }
}
