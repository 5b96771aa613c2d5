package io.xmodal.encoders.image;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import java.awt.image.BufferedImage;
import java.nio.FloatBuffer;

/**
 * A batch of upright RGB images to one vector each: resize to the model's input size, scale to [0,1], normalise with
 * the model's mean and std, lay out as NCHW or NHWC; the chosen output is returned row by row.
 */
public final class ImageTranslator implements NoBatchifyTranslator<BufferedImage[], float[][]> {

  private final ImageModelSpec spec;

  private ImageTranslator(ImageModelSpec spec) {
    this.spec = spec;
  }

  public static ImageTranslator of(ImageModelSpec spec) {
    return new ImageTranslator(spec);
  }

  @Override
  public NDList processInput(TranslatorContext ctx, BufferedImage[] images) {
    int w = spec.width();
    int h = spec.height();
    int plane = w * h;
    float[] data = new float[images.length * 3 * plane];
    float[] mean = spec.mean();
    float[] std = spec.std();
    int[] pixels = new int[plane];
    for (int n = 0; n < images.length; n++) {
      BufferedImage img = ImageDecoder.resize(images[n], w, h);
      img.getRGB(0, 0, w, h, pixels, 0, w);
      int base = n * 3 * plane;
      for (int p = 0; p < plane; p++) {
        int rgb = pixels[p];
        float r = (((rgb >> 16) & 0xFF) / 255f - mean[0]) / std[0];
        float g = (((rgb >> 8) & 0xFF) / 255f - mean[1]) / std[1];
        float b = ((rgb & 0xFF) / 255f - mean[2]) / std[2];
        if (spec.layout() == ImageModelSpec.Layout.NCHW) {
          data[base + p] = r;
          data[base + plane + p] = g;
          data[base + 2 * plane + p] = b;
        } else {
          data[base + 3 * p] = r;
          data[base + 3 * p + 1] = g;
          data[base + 3 * p + 2] = b;
        }
      }
    }
    Shape shape = spec.layout() == ImageModelSpec.Layout.NCHW
        ? new Shape(images.length, 3, h, w) : new Shape(images.length, h, w, 3);
    NDArray input = ctx.getNDManager().create(FloatBuffer.wrap(data), shape);
    input.setName(spec.inputName());
    return new NDList(input);
  }

  @Override
  public float[][] processOutput(TranslatorContext ctx, NDList list) {
    NDArray out = list.contains(spec.outputName()) ? list.get(spec.outputName()) : null;
    if (out == null) {
      throw new IllegalStateException("the model has no output named '" + spec.outputName() + "'");
    }
    int n = (int) out.getShape().get(0);
    int d = (int) (out.getShape().size() / n);
    if (d != spec.dimension()) {
      throw new IllegalStateException("output '" + spec.outputName() + "' has " + d + " values per image, the spec "
          + "says " + spec.dimension());
    }
    float[] flat = out.toFloatArray();
    float[][] rows = new float[n][d];
    for (int i = 0; i < n; i++) {
      System.arraycopy(flat, i * d, rows[i], 0, d);
    }
    return rows;
  }
}
