package io.xmodal.encoders.onnx;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.Translator;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Loads an ONNX model into DJL's OnnxRuntime engine with the session options xmodal sets. DJL's {@code Criteria}
 * hands its arguments to the translator, not to the session, and its options are strings only, so a session option
 * given there (the intra-op thread count, a session config entry) is silently dropped: the model is loaded here with
 * the options map the engine reads.
 */
public final class OrtLoading {

  private OrtLoading() {}

  /**
   * Session options with ONNX Runtime's worker threads told not to spin (a spinning worker keeps a core busy between
   * operators, taken from the other stream threads, the decode pool and the broker) and no memory pattern. Closed by
   * the caller once the model is closed.
   */
  public static OrtSession.SessionOptions sessionOptions() {
    OrtSession.SessionOptions options = new OrtSession.SessionOptions();
    try {
      options.addConfigEntry("session.intra_op.allow_spinning", "0");
      options.addConfigEntry("session.inter_op.allow_spinning", "0");
      // no memory pattern: ONNX Runtime would keep one pre-planned block per input shape it has seen (every batch size
      // and, for text, every padded length); without it the arena serves each run's tensors as they come, at the same
      // speed (ResNet-50 on 32 images, 2 cores: 33.0 → 32.3 images/s windowed, 30.4 → 32.7 flip-averaged) and with
      // 0.3–1.1 GB less resident (docs/performance.md)
      options.setMemoryPatternOptimization(false);
    } catch (OrtException e) {
      options.close();
      throw new IllegalStateException("ONNX Runtime refused a session option: " + e.getMessage(), e);
    }
    return options;
  }

  /**
   * @param options  the session's options ({@link #sessionOptions()}, perhaps with more entries)
   * @param threads  intra-op threads, 0 for ONNX Runtime's default (one per core)
   */
  public static <I, O> ZooModel<I, O> load(Path file, String name, Device device, Translator<I, O> translator,
                                           OrtSession.SessionOptions options, int threads)
      throws IOException, MalformedModelException {
    Map<String, Object> load = new HashMap<>();
    load.put("sessionOptions", options);
    if (threads > 0) {
      load.put("intraOpNumThreads", Integer.toString(threads));
      load.put("interOpNumThreads", "1");
    }
    Model model = Model.newInstance(name, device, "OnnxRuntime");
    try {
      model.load(file, null, load);
    } catch (IOException | MalformedModelException | RuntimeException e) {
      model.close();
      throw e;
    }
    return new ZooModel<>(model, translator);
  }
}
