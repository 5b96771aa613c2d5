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
 * the model's mean and std, lay out as NCHW or NHWC; the chosen output is returned row by row. With flip averaging the
 * batch also holds every image mirrored left-right (second half), and each returned row is the mean of the two.
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
    int views = spec.flipAverage() ? 2 : 1;
    int count = images.length * views;
    float[] data = new float[count * 3 * plane];
    float[] mean = spec.mean();
    float[] std = spec.std();
    int[] pixels = new int[plane];
    for (int n = 0; n < count; n++) {
      BufferedImage img = ImageDecoder.resize(images[n % images.length], w, h);
      img.getRGB(0, 0, w, h, pixels, 0, w);
      if (n >= images.length) {
        mirror(pixels, w, h);
      }
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
        ? new Shape(count, 3, h, w) : new Shape(count, h, w, 3);
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
    int images = spec.flipAverage() ? n / 2 : n;
    float[][] rows = new float[images][d];
    for (int i = 0; i < images; i++) {
      System.arraycopy(flat, i * d, rows[i], 0, d);
      if (spec.flipAverage()) {
        int m = (images + i) * d;
        for (int j = 0; j < d; j++) {
          rows[i][j] = 0.5f * (rows[i][j] + flat[m + j]);
        }
      }
    }
    return rows;
  }

  // left-right mirror of a row-major w×h pixel grid, in place
  static void mirror(int[] pixels, int w, int h) {
    for (int y = 0; y < h; y++) {
      int row = y * w;
      for (int x = 0; x < w / 2; x++) {
        int t = pixels[row + x];
        pixels[row + x] = pixels[row + w - 1 - x];
        pixels[row + w - 1 - x] = t;
      }
    }
  }
}
