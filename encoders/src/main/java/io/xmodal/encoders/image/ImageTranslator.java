package io.xmodal.encoders.image;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.awt.image.SinglePixelPackedSampleModel;
import java.nio.FloatBuffer;

/**
 * A batch of upright RGB images to one vector each: resize to the model's input size, scale to [0,1], normalise with
 * the model's mean and std, lay out as NCHW or NHWC; the chosen output is returned row by row. With several views
 * ({@link ImageModelSpec.View}) the batch holds every image's views in turn (all images' first views, then all second
 * views, …), and each returned row is the mean of one image's views.
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
    boolean windows = spec.view() == ImageModelSpec.View.WINDOWS;
    // the model sees the whole squashed source when its windows are cut from its feature map
    int w = windows ? spec.sourceWidth() : spec.width();
    int h = windows ? spec.sourceHeight() : spec.height();
    int plane = w * h;
    int views = spec.view().count();
    int count = images.length * views;
    float[] data = new float[count * 3 * plane];
    // (v / 255 - mean) / std for each of the 256 values of each channel, computed as the per-pixel formula would
    float[][] luts = {channelTable(0), channelTable(1), channelTable(2)};
    boolean nchw = spec.layout() == ImageModelSpec.Layout.NCHW;
    int[] pixels = new int[plane];
    int sw = spec.sourceWidth();
    int sh = spec.sourceHeight();
    boolean crops = spec.view() == ImageModelSpec.View.CROPS;
    // the squashed image the crops are cut from, and where: one buffer for the batch
    int[] source = crops ? new int[sw * sh] : null;
    int[][] corners = crops ? cropCorners(sw, sh, w, h) : null;
    // view v of image i is input number v * images.length + i
    for (int i = 0; i < images.length; i++) {
      if (crops) {
        readRgb(ImageDecoder.resize(images[i], sw, sh), sw, sh, source);
        for (int c = 0; c < corners.length; c++) {
          crop(source, sw, corners[c][0], corners[c][1], w, h, pixels);
          write(data, c * images.length + i, pixels, luts, nchw);
        }
      } else {
        readRgb(ImageDecoder.resize(images[i], w, h), w, h, pixels);
        write(data, i, pixels, luts, nchw);
        if (spec.view() == ImageModelSpec.View.FLIP) {
          mirror(pixels, w, h);
          write(data, images.length + i, pixels, luts, nchw);
        }
      }
    }
    Shape shape = nchw ? new Shape(count, 3, h, w) : new Shape(count, h, w, 3);
    NDArray input = ctx.getNDManager().create(FloatBuffer.wrap(data), shape);
    input.setName(spec.inputName());
    return new NDList(input);
  }

  /** Top-left corners of the five crops of a w×h window in an sw×sh image: the four corners, then the centre. */
  static int[][] cropCorners(int sw, int sh, int w, int h) {
    return new int[][] {{0, 0}, {sw - w, 0}, {0, sh - h}, {sw - w, sh - h}, {(sw - w) / 2, (sh - h) / 2}};
  }

  // the w×h window at (x0, y0) of a row-major sw-wide pixel grid
  static void crop(int[] source, int sw, int x0, int y0, int w, int h, int[] out) {
    for (int y = 0; y < h; y++) {
      System.arraycopy(source, (y0 + y) * sw + x0, out, y * w, w);
    }
  }

  // one view's pixels, normalised, as input number n
  private void write(float[] data, int n, int[] pixels, float[][] luts, boolean nchw) {
    int plane = pixels.length;
    int base = n * 3 * plane;
    float[] lutR = luts[0];
    float[] lutG = luts[1];
    float[] lutB = luts[2];
    if (nchw) {
      for (int p = 0; p < plane; p++) {
        int rgb = pixels[p];
        data[base + p] = lutR[(rgb >> 16) & 0xFF];
        data[base + plane + p] = lutG[(rgb >> 8) & 0xFF];
        data[base + 2 * plane + p] = lutB[rgb & 0xFF];
      }
    } else {
      for (int p = 0; p < plane; p++) {
        int rgb = pixels[p];
        data[base + 3 * p] = lutR[(rgb >> 16) & 0xFF];
        data[base + 3 * p + 1] = lutG[(rgb >> 8) & 0xFF];
        data[base + 3 * p + 2] = lutB[rgb & 0xFF];
      }
    }
  }

  private float[] channelTable(int channel) {
    float mean = spec.mean()[channel];
    float std = spec.std()[channel];
    float[] table = new float[256];
    for (int v = 0; v < 256; v++) {
      table[v] = (v / 255f - mean) / std;
    }
    return table;
  }

  /**
   * The w×h RGB pixels of {@code img} into {@code out}, row by row: copied straight from the backing array of a plain
   * TYPE_INT_RGB image (what the decoder and resize produce), through {@link BufferedImage#getRGB} otherwise (which
   * converts every pixel through the colour model, several times slower).
   */
  static void readRgb(BufferedImage img, int w, int h, int[] out) {
    if (img.getType() == BufferedImage.TYPE_INT_RGB
        && img.getRaster().getDataBuffer() instanceof DataBufferInt buffer
        && img.getSampleModel() instanceof SinglePixelPackedSampleModel model
        && model.getScanlineStride() == w && buffer.getNumBanks() == 1 && buffer.getOffset() == 0
        && img.getRaster().getSampleModelTranslateX() == 0 && img.getRaster().getSampleModelTranslateY() == 0
        && buffer.getSize() >= w * h) {
      System.arraycopy(buffer.getData(), 0, out, 0, w * h);
      return;
    }
    img.getRGB(0, 0, w, h, out, 0, w);
  }

  @Override
  public float[][] processOutput(TranslatorContext ctx, NDList list) {
    if (spec.view() == ImageModelSpec.View.WINDOWS) {
      NDArray map = list.contains(FeatureMaps.OUTPUT) ? list.get(FeatureMaps.OUTPUT) : null;
      if (map == null) {
        throw new IllegalStateException("the model has no feature-map output '" + FeatureMaps.OUTPUT + "': it was "
            + "not loaded for the view windows");
      }
      Shape shape = map.getShape();
      return pooledWindows(map.toFloatArray(), (int) shape.get(0), (int) shape.get(1), (int) shape.get(2),
          (int) shape.get(3));
    }
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
    int views = spec.view().count();
    int images = n / views;
    float[][] rows = new float[images][d];
    for (int i = 0; i < images; i++) {
      System.arraycopy(flat, i * d, rows[i], 0, d);
      if (views > 1) {
        for (int v = 1; v < views; v++) {
          int m = (v * images + i) * d;
          for (int j = 0; j < d; j++) {
            rows[i][j] += flat[m + j];
          }
        }
        for (int j = 0; j < d; j++) {
          rows[i][j] /= views;
        }
      }
    }
    return rows;
  }

  /**
   * Each image's vector from its feature map ({@code n × c × fh × fw}, row-major): the mean over the five
   * input-sized windows ({@link #cropCorners}, in feature cells) of each window's mean. Every window has the same
   * number of cells, so this is one weighted sum per channel, a cell weighing the number of windows that cover it.
   */
  float[][] pooledWindows(float[] map, int n, int c, int fh, int fw) {
    if (c != spec.dimension()) {
      throw new IllegalStateException("the feature map has " + c + " channels, the spec says " + spec.dimension());
    }
    // the input's size in feature cells: the model's input is the squashed source, its windows the model's size
    if (spec.sourceWidth() % fw != 0 || spec.sourceHeight() % fh != 0
        || spec.width() * fw % spec.sourceWidth() != 0 || spec.height() * fh % spec.sourceHeight() != 0) {
      throw new IllegalStateException("a " + spec.width() + "×" + spec.height() + " window of a "
          + spec.sourceWidth() + "×" + spec.sourceHeight() + " image does not fall on whole cells of its " + fw + "×"
          + fh + " feature map: use the view crops for this model");
    }
    int ww = spec.width() * fw / spec.sourceWidth();
    int wh = spec.height() * fh / spec.sourceHeight();
    int[][] corners = cropCorners(fw, fh, ww, wh);
    float[] weight = new float[fh * fw];
    float share = 1f / (corners.length * ww * wh);
    for (int[] corner : corners) {
      for (int y = corner[1]; y < corner[1] + wh; y++) {
        for (int x = corner[0]; x < corner[0] + ww; x++) {
          weight[y * fw + x] += share;
        }
      }
    }
    int cells = fh * fw;
    float[][] rows = new float[n][c];
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < c; k++) {
        int base = (i * c + k) * cells;
        double sum = 0;
        for (int p = 0; p < cells; p++) {
          sum += weight[p] * map[base + p];
        }
        rows[i][k] = (float) sum;
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
