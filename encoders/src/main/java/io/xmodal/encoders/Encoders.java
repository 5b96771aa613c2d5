package io.xmodal.encoders;

import io.xmodal.encoders.image.ImageEncoder;
import io.xmodal.encoders.image.ImageModelSpec;
import io.xmodal.encoders.text.TextEncoder;
import io.xmodal.encoders.text.TextModel;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/**
 * The two encoders, loaded once per process and shared by every thread (each opens its own session). Either may be a
 * {@link CompositeEncoder} of several models, joined by {@link Combination#L2_CONCAT_L2}, or of one model whose
 * sessions run several calls at once ({@link EncoderSettings#callsOn}).
 */
public record Encoders(Encoder<String> text, Encoder<BufferedImage> image) implements AutoCloseable {

  public static Encoders load(EncoderSettings s) {
    List<AutoCloseable> loaded = new ArrayList<>();
    int calls = s.callsOn(s.device().resolve("OnnxRuntime"));
    int threads = s.threadsFor(calls);
    try {
      List<TextEncoder> texts = new ArrayList<>();
      for (TextModel m : s.textModels()) {
        TextEncoder t = TextEncoder.load(m, s.modelCache(), s.device(), s.maxTokens(), threads);
        loaded.add(t);
        texts.add(t);
      }
      List<ImageEncoder> images = new ArrayList<>();
      for (ImageModelSpec spec : s.images()) {
        ImageEncoder i = ImageEncoder.load(spec, s.device(), threads, s.int8Kernels(), s.modelCache());
        loaded.add(i);
        images.add(i);
      }
      return new Encoders(joined(texts, calls), joined(images, calls));
    } catch (RuntimeException e) {
      for (AutoCloseable c : loaded) {
        try {
          c.close();
        } catch (Exception suppressed) {
          e.addSuppressed(suppressed);
        }
      }
      throw e;
    }
  }

  private static <I> Encoder<I> joined(List<? extends Encoder<I>> blocks, int calls) {
    return blocks.size() == 1 && calls == 1 ? blocks.get(0)
        : new CompositeEncoder<>(blocks, Combination.L2_CONCAT_L2, calls);
  }

  /** A one-line description: each encoder's name, dimension and device, and how many calls run at once. */
  public String describe() {
    return text.info().name() + " (" + text.info().dimension() + "-d) and " + image.info().name() + " ("
        + image.info().dimension() + "-d) on " + image.device() + ", "
        + (image instanceof CompositeEncoder<?> c ? c.calls() : 1) + " model call(s) at a time";
  }

  @Override
  public void close() {
    text.close();
    image.close();
  }
}
