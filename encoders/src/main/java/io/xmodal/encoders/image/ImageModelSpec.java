package io.xmodal.encoders.image;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Objects;

/**
 * An ONNX image model described by config: where it is and how to feed it.
 *
 * @param file       the .onnx file
 * @param name       display name (default: the file name without extension)
 * @param inputName  graph input (e.g. {@code input})
 * @param outputName graph output used as the embedding (e.g. {@code features}, the pooled penultimate layer)
 * @param dimension  length of that output per image
 * @param width      input width in pixels
 * @param height     input height in pixels
 * @param mean       per-channel RGB mean, after scaling to [0,1]
 * @param std        per-channel RGB standard deviation
 * @param layout     tensor layout of the input
 * @param view       test-time augmentation: which views of each image are encoded and averaged into its vector (no
 *                   training involved; each view is one more pass of the model)
 */
public record ImageModelSpec(Path file, String name, String inputName, String outputName, int dimension, int width,
                             int height, float[] mean, float[] std, Layout layout, View view) {

  public enum Layout { NCHW, NHWC }

  /** The views of an image whose vectors are averaged into its embedding. */
  public enum View {
    /** The image squashed to the input size: one pass. */
    SINGLE(1),
    /** The image and its left-right mirror image, both squashed to the input size: two passes. */
    FLIP(2),
    /**
     * Five crops of the input size, the four corners and the centre, of the image squashed to 9/7 of the input size
     * (288 × 288 for a 224 × 224 model): five passes, each crop showing 7/9 of the image 9/7 larger than the model's
     * fixed input would (and in more detail when the image is larger than that input).
     */
    CROPS(5),
    /**
     * The same five windows as {@link #CROPS} from one pass: the model runs once on the image squashed to 9/7 of its
     * input size, and the five input-sized windows of its final feature map (which, for a CNN of stride 32, cover
     * exactly the five crops' pixels) are pooled and averaged in Java. The vectors differ from {@link #CROPS} only by
     * what each window's border sees (the rest of the image instead of a crop's zero padding); the cost is one pass
     * over (9/7)² ≈ 1.65 times the pixels instead of five. Needs a fully convolutional model with one global average
     * pool ({@link FeatureMaps}).
     */
    WINDOWS(1);

    private final int count;

    View(int count) {
      this.count = count;
    }

    /** Passes of the model per image. */
    public int count() {
      return count;
    }

    /** {@link #FLIP} when flip averaging is on, {@link #SINGLE} otherwise (XMODAL_IMAGE_FLIP_AVERAGE). */
    public static View flipped(boolean flipAverage) {
      return flipAverage ? FLIP : SINGLE;
    }
  }

  public static final float[] IMAGENET_MEAN = {0.485f, 0.456f, 0.406f};
  public static final float[] IMAGENET_STD = {0.229f, 0.224f, 0.225f};

  public ImageModelSpec {
    Objects.requireNonNull(file, "file");
    Objects.requireNonNull(view, "view");
    if (mean.length != 3 || std.length != 3) {
      throw new IllegalArgumentException("mean and std need 3 values (R, G, B)");
    }
    if (width <= 0 || height <= 0 || dimension <= 0) {
      throw new IllegalArgumentException("width, height and dimension must be positive");
    }
    mean = mean.clone();
    std = std.clone();
  }

  /** Value equality, the arrays compared by content (a record compares arrays by reference). */
  @Override
  public boolean equals(Object o) {
    return o instanceof ImageModelSpec s && file.equals(s.file) && name.equals(s.name)
        && inputName.equals(s.inputName) && outputName.equals(s.outputName) && dimension == s.dimension
        && width == s.width && height == s.height && Arrays.equals(mean, s.mean)
        && Arrays.equals(std, s.std) && layout == s.layout && view == s.view;
  }

  @Override
  public int hashCode() {
    return Objects.hash(file, name, inputName, outputName, dimension, width, height, Arrays.hashCode(mean),
        Arrays.hashCode(std), layout, view);
  }

  /** MobileNetV2 (ONNX Model Zoo, int8) with its pooled 1280-d {@code features} output, from the shared models folder. */
  public static ImageModelSpec mobileNetV2Features(Path modelsDir) {
    return new ImageModelSpec(modelsDir.resolve("mobilenetv2-12-int8-features.onnx"), "mobilenetv2-12-int8-features",
        "input", "features", 1280, 224, 224, IMAGENET_MEAN, IMAGENET_STD, Layout.NCHW, View.SINGLE);
  }

  /**
   * ResNet-50 v1 (ImageNet-1k, int8) with its pooled 2048-d {@code features} output, from the shared models folder.
   * Its Caffe preprocessing (RGB→BGR, ×255, mean subtraction) is inside the graph: the input is RGB in [0,1].
   */
  public static ImageModelSpec resNet50Features(Path modelsDir) {
    return new ImageModelSpec(modelsDir.resolve("resnet50-int8-features.onnx"), "resnet50-int8-features",
        "input", "features", 2048, 224, 224, new float[] {0, 0, 0}, new float[] {1, 1, 1}, Layout.NCHW, View.SINGLE);
  }

  /** The same model's classifier head ({@code output}, 1000 ImageNet logits): for checking preprocessing. */
  public ImageModelSpec withOutput(String output, int dim) {
    return new ImageModelSpec(file, name, inputName, output, dim, width, height, mean, std, layout, view);
  }

  public ImageModelSpec withView(View v) {
    return new ImageModelSpec(file, name, inputName, outputName, dimension, width, height, mean, std, layout, v);
  }

  /**
   * Width the image is squashed to before its views are cut: the input width, 9/7 of it for {@link View#CROPS} and
   * {@link View#WINDOWS}.
   */
  public int sourceWidth() {
    return fiveViews() ? cropSource(width) : width;
  }

  /**
   * Height the image is squashed to before its views are cut: the input height, 9/7 of it for {@link View#CROPS} and
   * {@link View#WINDOWS}.
   */
  public int sourceHeight() {
    return fiveViews() ? cropSource(height) : height;
  }

  private boolean fiveViews() {
    return view == View.CROPS || view == View.WINDOWS;
  }

  private String sourceSize() {
    return width == height ? Integer.toString(sourceWidth()) : sourceWidth() + "x" + sourceHeight();
  }

  private static int cropSource(int input) {
    return input * 9 / 7;
  }

  /** The encoder's identity: the model name, marked when views are averaged (its vectors differ). */
  public String identity() {
    return switch (view) {
      case SINGLE -> name;
      case FLIP -> name + "+hflip-avg";
      case CROPS -> name + "+crop5@" + sourceSize();
      case WINDOWS -> name + "+win5@" + sourceSize();
    };
  }
}
