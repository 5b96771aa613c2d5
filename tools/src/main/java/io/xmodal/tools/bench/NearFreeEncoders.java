package io.xmodal.tools.bench;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import io.xmodal.encode.EncodeModels;
import io.xmodal.encoders.Combination;
import io.xmodal.encoders.CompositeEncoder;
import io.xmodal.encoders.Encoder;
import io.xmodal.encoders.EncoderInfo;
import io.xmodal.encoders.EncoderSession;
import io.xmodal.encoders.EncoderSettings;
import io.xmodal.encoders.ModelFiles;
import io.xmodal.encoders.image.ImageEncoder;
import io.xmodal.encoders.image.ImageModelSpec;
import io.xmodal.encoders.text.PoolingTranslator;
import io.xmodal.encoders.text.TextEncoder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The {@link NearFreeModels} loaded as encode-stream loads its real encoders: on the configured device and threads,
 * behind the real translators (each configured image model's size, normalisation and flip averaging; the default text
 * model's tokenizer, padding and truncation), one DJL predictor per session, and as many blocks as the configured
 * composite encoders have (each block's tensors in and out of ONNX Runtime are paid again). Only the encode
 * benchmark's ceiling mode uses it.
 */
final class NearFreeEncoders implements AutoCloseable {

  /** The tokenizer of the default text model (all-MiniLM-L6-v2, the same for its int8 variant), from its jar. */
  static final String TOKENIZER_RESOURCE = "all-minilm-l6-v2-tokenizer.json";
  static final int TEXT_DIM = 384;

  private final Encoder<BufferedImage> image;
  private final ZooModel<String[], float[][]> text;
  private final HuggingFaceTokenizer tokenizer;
  private final EncodeModels models;

  private NearFreeEncoders(Encoder<BufferedImage> image, ZooModel<String[], float[][]> text,
                           HuggingFaceTokenizer tokenizer, EncoderInfo textInfo, int textBlocks) {
    this.image = image;
    this.text = text;
    this.tokenizer = tokenizer;
    List<Encoder<String>> blocks = new ArrayList<>();
    for (int b = 0; b < textBlocks; b++) {
      EncoderInfo info = textBlocks == 1 ? textInfo
          : new EncoderInfo(textInfo.name() + "-" + b, textInfo.version(), TEXT_DIM, textInfo.checksum());
      blocks.add(new TextBlock(info, text));
    }
    Encoder<String> textEncoder = blocks.size() == 1 ? blocks.get(0)
        : new CompositeEncoder<>(blocks, Combination.L2_CONCAT_L2);
    this.models = new EncodeModels(EncodeModels.Model.of(textEncoder),
        EncodeModels.Model.of(image), EncodeModels.resizeOf(image));
  }

  /** One near-free text block: sessions on the shared model (closed by its owner, not by the composite). */
  private record TextBlock(EncoderInfo info, ZooModel<String[], float[][]> model) implements Encoder<String> {
    @Override
    public Device device() {
      return model.getNDManager().getDevice();
    }

    @Override
    public EncoderSession<String> newSession() {
      // as the real text encoders' sessions: each batch sorted by length, in calls of TextEncoder.CHUNK
      return EncoderSession.lengthSorted(model.newPredictor(), String[]::new, String::length,
          TextEncoder.CHUNK);
    }

    @Override
    public void close() {
      // the model is closed with NearFreeEncoders
    }
  }

  /** Writes the models under {@code dir} and loads them with the settings of the real encoders. */
  static NearFreeEncoders load(EncoderSettings settings, Path dir) {
    List<ImageEncoder> images = new ArrayList<>();
    for (int b = 0; b < settings.images().size(); b++) {
      ImageModelSpec real = settings.images().get(b);
      Path imageFile = NearFreeModels.image(dir.resolve("near-free-image-" + b + ".onnx"), real.width(),
          real.height(), real.dimension());
      ImageModelSpec spec = new ImageModelSpec(imageFile, "near-free-image-" + b, "input", "features",
          real.dimension(), real.width(), real.height(), real.mean(), real.std(), ImageModelSpec.Layout.NCHW,
          real.view());
      images.add(ImageEncoder.load(spec, settings.device(), settings.threads()));
    }
    Encoder<BufferedImage> image = images.size() == 1 ? images.get(0)
        : new CompositeEncoder<>(images, Combination.L2_CONCAT_L2);
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
          .optTranslator(PoolingTranslator.builder(tokenizer).build());
      if (settings.threads() > 0) {
        criteria.optArguments(Map.of("intraOpNumThreads", Integer.toString(settings.threads()),
            "interOpNumThreads", "1"));
      }
      ZooModel<String[], float[][]> text = criteria.build().loadModel();
      EncoderInfo info = new EncoderInfo("near-free-text", "bench", TEXT_DIM, ModelFiles.sha256(textFile));
      return new NearFreeEncoders(image, text, tokenizer, info, settings.textModels().size());
    } catch (IOException e) {
      close(image, tokenizer);
      throw new UncheckedIOException("cannot load " + textFile, e);
    } catch (ModelNotFoundException | MalformedModelException | RuntimeException e) {
      close(image, tokenizer);
      throw new IllegalStateException("cannot load " + textFile + ": " + e.getMessage(), e);
    }
  }

  private static void close(Encoder<BufferedImage> image, HuggingFaceTokenizer tokenizer) {
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
