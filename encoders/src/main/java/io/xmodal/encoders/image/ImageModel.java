package io.xmodal.encoders.image;

import java.nio.file.Path;
import java.util.function.Function;

/**
 * The image models xmodal knows by name ({@code XMODAL_IMAGE_ENCODER}, one or several joined by commas), read from
 * the shared models folder, each with the flip-averaging default measured for it on Flickr8k dev.
 */
public enum ImageModel {
  /** MobileNetV2 int8, 1280-d; flip averaging adds about 12 rsum to every mapping, so it is on. */
  MOBILENETV2(ImageModelSpec::mobileNetV2Features, true),
  /**
   * ResNet-50 int8, 2048-d; flip averaging is on: with MiniLM it adds 7.6 rsum on Flickr8k dev (weighted CCA +CSLS10
   * refitted on all pairs, 328.5 → 336.1), 4.3 in the default composite (357.1 → 361.4), for twice the model's cost
   * (see docs/quality.md).
   */
  RESNET50(ImageModelSpec::resNet50Features, true);

  private final Function<Path, ImageModelSpec> spec;
  private final boolean flipDefault;

  ImageModel(Function<Path, ImageModelSpec> spec, boolean flipDefault) {
    this.spec = spec;
    this.flipDefault = flipDefault;
  }

  /** Its spec under {@code modelsDir}, encoding each image through {@code view}. */
  public ImageModelSpec spec(Path modelsDir, ImageModelSpec.View view) {
    return spec.apply(modelsDir).withView(view);
  }

  public boolean flipDefault() {
    return flipDefault;
  }
}
