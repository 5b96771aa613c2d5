package io.xmodal.encoders.image;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import io.xmodal.device.DeviceChoice;
import io.xmodal.encoders.Encoder;
import io.xmodal.encoders.EncoderInfo;
import io.xmodal.encoders.EncoderSession;
import io.xmodal.encoders.ModelFiles;
import io.xmodal.encoders.onnx.OnDemand;
import io.xmodal.encoders.onnx.OrtLoading;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** An ONNX image encoder loaded once per process; each thread encodes through its own {@link #newSession()}. */
public final class ImageEncoder implements Encoder<BufferedImage> {

  private static final Logger LOG = LoggerFactory.getLogger(ImageEncoder.class);

  /**
   * Images per model call on a CPU: a session's batch runs in calls of this many. ONNX Runtime's arena keeps what a
   * session's largest call needed; the demo peaked 0.7 GB lower with calls of 8 than with one call of 32, at the same
   * speed (docs/performance.md, End to end).
   */
  public static final int CHUNK = 8;

  private final OnDemand<BufferedImage[], float[][]> model;
  private final EncoderInfo info;
  private final ImageModelSpec spec;
  private final Device device;
  private final OrtSession.SessionOptions options;

  private ImageEncoder(OnDemand<BufferedImage[], float[][]> model, EncoderInfo info, ImageModelSpec spec,
                       Device device, OrtSession.SessionOptions options) {
    this.model = model;
    this.options = options;
    this.info = info;
    this.spec = spec;
    this.device = device;
  }

  /** @param threads ONNX Runtime intra-op threads, 0 for its default (all cores) */
  public static ImageEncoder load(ImageModelSpec spec, DeviceChoice choice, int threads) {
    return load(spec, choice, threads, Int8Kernels.AUTO,
        Path.of(System.getProperty("java.io.tmpdir"), "xmodal-models"));
  }

  /**
   * @param threads  ONNX Runtime intra-op threads, 0 for its default (all cores)
   * @param kernels  how an int8 model's convolutions run on this CPU
   * @param cacheDir where a model rewritten for float convolutions is kept (keyed by the source's checksum)
   */
  public static ImageEncoder load(ImageModelSpec spec, DeviceChoice choice, int threads, Int8Kernels kernels,
                                  Path cacheDir) {
    if (!Files.isRegularFile(spec.file())) {
      throw new IllegalStateException("no image model at " + spec.file().toAbsolutePath() + "; set XMODAL_IMAGE_MODEL "
          + "or XMODAL_SHARED_DIR (models are read from <shared>/models)");
    }
    Device device = choice.resolve("OnnxRuntime");
    OrtSession.SessionOptions options = null;
    try {
      String sha256 = ModelFiles.sha256(spec.file());
      Path file = spec.file();
      options = OrtLoading.sessionOptions();
      if (kernels.floatOn(device)) {
        file = floatModel(spec.file(), sha256, cacheDir);
        // QDQ models (DequantizeLinear → Conv → QuantizeLinear) stay in float instead of being fused into int8
        // kernels
        options.addConfigEntry("session.disable_quant_qdq", "1");
      }
      if (spec.view() == ImageModelSpec.View.WINDOWS) {
        file = featureMapModel(file, spec, sha256, cacheDir);
      }
      LOG.info("{}: {}", spec.identity(), kernels.reason(device));
      Path loaded = file;
      OrtSession.SessionOptions sessionOptions = options;
      OnDemand.Loader<BufferedImage[], float[][]> loader = () -> OrtLoading.load(loaded, spec.identity(), device,
          ImageTranslator.of(spec), sessionOptions, threads);
      OnDemand<BufferedImage[], float[][]> model = new OnDemand<>(spec.identity(), loader.load(), loader);
      EncoderInfo info = new EncoderInfo(spec.identity(), spec.file().getFileName().toString(), spec.dimension(),
          sha256);
      return new ImageEncoder(model, info, spec, device, options);
    } catch (IOException e) {
      close(options);
      throw new UncheckedIOException("cannot load " + spec.file(), e);
    } catch (MalformedModelException | OrtException | RuntimeException e) {
      close(options);
      throw new IllegalStateException("cannot load " + spec.file() + ": " + e.getMessage(), e);
    }
  }

  /**
   * The model with its operator-form int8 convolutions rewritten to float ({@link FloatConvolutions}), kept under
   * {@code cacheDir}; the model itself where it has none (QDQ models, float models).
   */
  static Path floatModel(Path source, String sha256, Path cacheDir) throws IOException {
    String stem = source.getFileName().toString().replaceFirst("\\.onnx$", "");
    Path target = cacheDir.resolve(stem + "-float-conv-" + sha256.substring(0, 16) + ".onnx");
    Path none = cacheDir.resolve(stem + "-float-conv-" + sha256.substring(0, 16) + ".none");
    if (Files.isRegularFile(target)) {
      return target;
    }
    if (Files.isRegularFile(none)) {
      return source;
    }
    Optional<FloatConvolutions.Result> rewritten = FloatConvolutions.rewrite(Files.readAllBytes(source));
    writeAtomically(rewritten.isPresent() ? target : none,
        rewritten.map(FloatConvolutions.Result::model).orElse(new byte[0]));
    rewritten.ifPresent(r -> LOG.info("{}: {} int8 convolutions and {} matrix products rewritten to float in {}",
        source.getFileName(), r.convolutions(), r.matMuls(), target));
    return rewritten.isPresent() ? target : source;
  }

  /**
   * The model with free input height and width and its pre-pool feature map as an output ({@link FeatureMaps}), kept
   * under {@code cacheDir} beside the float rewrite (keyed by the source's checksum and whether it was rewritten).
   */
  static Path featureMapModel(Path model, ImageModelSpec spec, String sha256, Path cacheDir) throws IOException {
    String stem = model.getFileName().toString().replaceFirst("\\.onnx$", "");
    Path target = cacheDir.resolve(stem + (model.equals(spec.file()) ? "-" + sha256.substring(0, 16) : "")
        + "-feature-map.onnx");
    if (Files.isRegularFile(target)) {
      return target;
    }
    writeAtomically(target, FeatureMaps.rewrite(Files.readAllBytes(model), spec.inputName()));
    LOG.info("{}: any input size, with its feature map before the global pool as an output, in {}",
        spec.file().getFileName(), target);
    return target;
  }

  // a rewritten model into the cache: written beside its name, then renamed, so no reader sees half a file
  private static void writeAtomically(Path target, byte[] bytes) throws IOException {
    Files.createDirectories(target.getParent());
    Path tmp = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".part");
    Files.write(tmp, bytes);
    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private static void close(OrtSession.SessionOptions options) {
    if (options != null) {
      options.close();
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
    // a GPU wants the whole batch in one call; on a CPU, calls of CHUNK cost the same time and less memory
    EncoderSession<BufferedImage> session = device.isGpu()
        ? new EncoderSession<>(model.predictor(), BufferedImage[]::new)
        : EncoderSession.chunked(model.predictor(), BufferedImage[]::new, CHUNK);
    return session.whenClosed(model::returned);
  }

  /** On a CPU only: DJL adds the GPU's execution provider to the session options at every load, so no reload there. */
  @Override
  public int releaseIfUnused() {
    return !device.isGpu() && model.releaseIfUnused() ? 1 : 0;
  }

  @Override
  public void close() {
    model.close();
    close(options);
  }
}
