package io.xmodal.encoders.image;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import io.xmodal.device.DeviceChoice;
import io.xmodal.encoders.Encoder;
import io.xmodal.encoders.EncoderInfo;
import io.xmodal.encoders.EncoderSession;
import io.xmodal.encoders.ModelFiles;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.util.Map;

/** An ONNX image encoder loaded once per process; each thread encodes through its own {@link #newSession()}. */
public final class ImageEncoder implements Encoder<BufferedImage> {

  private final ZooModel<BufferedImage[], float[][]> model;
  private final EncoderInfo info;
  private final ImageModelSpec spec;
  private final Device device;

  private ImageEncoder(ZooModel<BufferedImage[], float[][]> model, EncoderInfo info, ImageModelSpec spec,
                       Device device) {
    this.model = model;
    this.info = info;
    this.spec = spec;
    this.device = device;
  }

  /** @param threads ONNX Runtime intra-op threads, 0 for its default (all cores) */
  public static ImageEncoder load(ImageModelSpec spec, DeviceChoice choice, int threads) {
    if (!Files.isRegularFile(spec.file())) {
      throw new IllegalStateException("no image model at " + spec.file().toAbsolutePath() + "; set XMODAL_IMAGE_MODEL "
          + "or XMODAL_SHARED_DIR (models are read from <shared>/models)");
    }
    Device device = choice.resolve("OnnxRuntime");
    try {
      Criteria.Builder<BufferedImage[], float[][]> criteria = Criteria.builder()
          .setTypes(BufferedImage[].class, float[][].class)
          .optModelPath(spec.file())
          .optEngine("OnnxRuntime")
          .optDevice(device)
          .optTranslator(ImageTranslator.of(spec));
      if (threads > 0) {
        criteria.optArguments(Map.of("intraOpNumThreads", Integer.toString(threads), "interOpNumThreads", "1"));
      }
      ZooModel<BufferedImage[], float[][]> model = criteria.build().loadModel();
      EncoderInfo info = new EncoderInfo(spec.identity(), spec.file().getFileName().toString(), spec.dimension(),
          ModelFiles.sha256(spec.file()));
      return new ImageEncoder(model, info, spec, device);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot load " + spec.file(), e);
    } catch (ModelNotFoundException | MalformedModelException e) {
      throw new IllegalStateException("cannot load " + spec.file() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public EncoderInfo info() {
    return info;
  }

  public ImageModelSpec spec() {
    return spec;
  }

  @Override
  public Device device() {
    return device;
  }

  @Override
  public EncoderSession<BufferedImage> newSession() {
    return new EncoderSession<>(model.newPredictor(), BufferedImage[]::new);
  }

  @Override
  public void close() {
    model.close();
  }
}
