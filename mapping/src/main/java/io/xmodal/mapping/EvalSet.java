package io.xmodal.mapping;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Images and their captions to evaluate on: caption rows, the index of each caption's image, image rows.
 *
 * @param captions     nc×dx
 * @param captionImage nc indices into {@code images}
 * @param images       ni×dy
 */
public record EvalSet(INDArray captions, int[] captionImage, INDArray images) {

  public int imageCount() {
    return (int) images.rows();
  }

  public int captionCount() {
    return (int) captions.rows();
  }
}
