package io.xmodal.app.bench;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import io.xmodal.encode.EncodeModels;
import io.xmodal.encoders.EncoderInfo;
import io.xmodal.encoders.EncoderSession;
import io.xmodal.encoders.EncoderSettings;
import io.xmodal.encoders.ModelFiles;
import io.xmodal.encoders.image.ImageEncoder;
import io.xmodal.encoders.image.ImageModelSpec;
import io.xmodal.encoders.text.MeanPoolingTranslator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * The {@link NearFreeModels} loaded as encode-stream loads its real encoders: on the configured device and threads,
 * behind the real translators (the configured image size, normalisation and flip averaging; the default text model's
 * tokenizer, padding and truncation), one DJL predictor per session. Only the encode benchmark's ceiling mode uses it.
 */
final class NearFreeEncoders implements AutoCloseable {

  /** The tokenizer of the default text model (all-MiniLM-L6-v2, the same for its int8 variant), from its jar. */
  static final String TOKENIZER_RESOURCE = "all-minilm-l6-v2-tokenizer.json";
  static final int TEXT_DIM = 384;

  private final ImageEncoder image;
  private final ZooModel<String[], float[][]> text;
  private final HuggingFaceTokenizer tokenizer;
  private final EncodeModels models;

  private NearFreeEncoders(ImageEncoder image, ZooModel<String[], float[][]> text, HuggingFaceTokenizer tokenizer,
                           EncoderInfo textInfo) {
    this.image = image;
    this.text = text;
    this.tokenizer = tokenizer;
    this.models = new EncodeModels(new EncodeModels.Model<>(textInfo,
        () -> new EncoderSession<>(text.newPredictor(), String[]::new)),
        new EncodeModels.Model<>(image.info(), image::newSession), image.spec());
  }

  /** Writes the two models under {@code dir} and loads them with the settings of the real encoders. */
  static NearFreeEncoders load(EncoderSettings settings, Path dir) {
    ImageModelSpec real = settings.image();
    Path imageFile = NearFreeModels.image(dir.resolve("near-free-image.onnx"), real.width(), real.height(),
        real.dimension());
    ImageModelSpec spec = new ImageModelSpec(imageFile, "near-free-image", "input", "features", real.dimension(),
        real.width(), real.height(), real.mean(), real.std(), ImageModelSpec.Layout.NCHW, real.flipAverage());
    ImageEncoder image = ImageEncoder.load(spec, settings.device(), settings.threads());
    Path textFile = NearFreeModels.text(dir.resolve("near-free-text.onnx"), TEXT_DIM);
    HuggingFaceTokenizer tokenizer = null;
    try {
      tokenizer = HuggingFaceTokenizer.builder()
          .optTokenizerPath(ModelFiles.extract(TOKENIZER_RESOURCE, settings.modelCache()))
          .optPadding(true)
          .optTruncation(true)
          .optMaxLength(settings.maxTokens())
          .build();
      Device device = settings.device().resolve("OnnxRuntime");
      Criteria.Builder<String[], float[][]> criteria = Criteria.builder()
          .setTypes(String[].class, float[][].class)
          .optModelPath(textFile)
          .optEngine("OnnxRuntime")
          .optDevice(device)
          .optTranslator(MeanPoolingTranslator.builder(tokenizer).build());
      if (settings.threads() > 0) {
        criteria.optArguments(Map.of("intraOpNumThreads", Integer.toString(settings.threads()),
            "interOpNumThreads", "1"));
      }
      ZooModel<String[], float[][]> text = criteria.build().loadModel();
      EncoderInfo info = new EncoderInfo("near-free-text", "bench", TEXT_DIM, ModelFiles.sha256(textFile));
      return new NearFreeEncoders(image, text, tokenizer, info);
    } catch (IOException e) {
      close(image, tokenizer);
      throw new UncheckedIOException("cannot load " + textFile, e);
    } catch (ModelNotFoundException | MalformedModelException | RuntimeException e) {
      close(image, tokenizer);
      throw new IllegalStateException("cannot load " + textFile + ": " + e.getMessage(), e);
    }
  }

  private static void close(ImageEncoder image, HuggingFaceTokenizer tokenizer) {
    image.close();
    if (tokenizer != null) {
      tokenizer.close();
    }
  }

  EncodeModels models() {
    return models;
  }

  @Override
  public void close() {
    text.close();
    tokenizer.close();
    image.close();
  }
}
