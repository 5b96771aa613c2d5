package io.xmodal.encoders.text;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;
import java.util.Objects;

/**
 * Sentence embeddings from a BERT-style encoder: tokenises a batch (padded to its longest member), runs the model,
 * pools the last hidden state — the mean over the attention mask (MiniLM, e5) or the first ([CLS]) token (bge) — and
 * L2-normalises. Input a batch of texts, output one
 * vector per text. Pooling runs on plain float arrays, so it works on engines without NDArray maths (ONNX Runtime).
 */
public final class PoolingTranslator implements NoBatchifyTranslator<String[], float[][]> {

  private static final String MASK = "attention_mask";

  private final HuggingFaceTokenizer tokenizer;
  private final boolean normalize;
  private final boolean tokenTypeIds;
  private final Pooling pooling;
  private final String prefix;

  /** How the token vectors become one sentence vector. */
  public enum Pooling {
    /** The mean of the last hidden state over the attention mask. */
    MEAN,
    /** The last hidden state of the first token ([CLS]). */
    CLS
  }

  private PoolingTranslator(Builder b) {
    this.tokenizer = b.tokenizer;
    this.pooling = b.pooling;
    this.normalize = b.normalize;
    this.tokenTypeIds = b.tokenTypeIds;
    this.prefix = b.prefix;
  }

  public static Builder builder(HuggingFaceTokenizer tokenizer) {
    return new Builder(tokenizer);
  }

  @Override
  public NDList processInput(TranslatorContext ctx, String[] texts) {
    String[] input = texts;
    if (!prefix.isEmpty()) {
      input = new String[texts.length];
      for (int i = 0; i < texts.length; i++) {
        input[i] = prefix + texts[i];
      }
    }
    Encoding[] encodings = tokenizer.batchEncode(input);
    int n = encodings.length;
    int t = 0;
    for (Encoding e : encodings) {
      t = Math.max(t, e.getIds().length);
    }
    long[] ids = new long[n * t];
    long[] mask = new long[n * t];
    long[] types = new long[n * t];
    for (int i = 0; i < n; i++) {
      long[] eIds = encodings[i].getIds();
      long[] eMask = encodings[i].getAttentionMask();
      long[] eTypes = encodings[i].getTypeIds();
      System.arraycopy(eIds, 0, ids, i * t, eIds.length);
      System.arraycopy(eMask, 0, mask, i * t, eMask.length);
      System.arraycopy(eTypes, 0, types, i * t, eTypes.length);
    }
    ctx.setAttachment(MASK, new Mask(mask, n, t));
    NDManager m = ctx.getNDManager();
    Shape shape = new Shape(n, t);
    NDArray idArray = m.create(ids, shape);
    idArray.setName("input_ids");
    NDArray maskArray = m.create(mask, shape);
    maskArray.setName(MASK);
    NDList list = new NDList(idArray, maskArray);
    if (tokenTypeIds) {
      NDArray typeArray = m.create(types, shape);
      typeArray.setName("token_type_ids");
      list.add(typeArray);
    }
    return list;
  }

  @Override
  public float[][] processOutput(TranslatorContext ctx, NDList list) {
    Mask mask = (Mask) ctx.getAttachment(MASK);
    NDArray hidden = list.get(0);
    float[] h = hidden.toFloatArray();
    int n = mask.rows();
    int t = mask.cols();
    int d = (int) hidden.getShape().get(2);
    float[][] out = new float[n][d];
    for (int i = 0; i < n; i++) {
      float[] v = out[i];
      double count = 0;
      for (int j = 0; j < t; j++) {
        if (mask.values()[i * t + j] == 0) {
          continue;
        }
        count++;
        int base = (i * t + j) * d;
        for (int k = 0; k < d; k++) {
          v[k] += h[base + k];
        }
        if (pooling == Pooling.CLS) {
          break;
        }
      }
      float inv = (float) (1.0 / Math.max(count, 1e-9));
      double norm = 0;
      for (int k = 0; k < d; k++) {
        v[k] *= inv;
        norm += (double) v[k] * v[k];
      }
      if (normalize) {
        float scale = (float) (1.0 / Math.max(Math.sqrt(norm), 1e-12));
        for (int k = 0; k < d; k++) {
          v[k] *= scale;
        }
      }
    }
    return out;
  }

  private record Mask(long[] values, int rows, int cols) {}

  /** Validating builder: a tokenizer is required; L2 normalisation and token type ids are on by default, pooling is the mean. */
  public static final class Builder {
    private final HuggingFaceTokenizer tokenizer;
    private boolean normalize = true;
    private boolean tokenTypeIds = true;
    private Pooling pooling = Pooling.MEAN;
    private String prefix = "";

    private Builder(HuggingFaceTokenizer tokenizer) {
      this.tokenizer = Objects.requireNonNull(tokenizer, "tokenizer");
    }

    public Builder normalize(boolean normalize) {
      this.normalize = normalize;
      return this;
    }

    /** Whether the model takes a {@code token_type_ids} input (BERT does; some distilled models do not). */
    public Builder tokenTypeIds(boolean tokenTypeIds) {
      this.tokenTypeIds = tokenTypeIds;
      return this;
    }

    /** Mean pooling (the default) or the [CLS] token. */
    public Builder pooling(Pooling pooling) {
      this.pooling = Objects.requireNonNull(pooling, "pooling");
      return this;
    }

    /** Text put before every input, as the model was trained (e5: {@code "query: "}); none by default. */
    public Builder prefix(String prefix) {
      this.prefix = Objects.requireNonNull(prefix, "prefix");
      return this;
    }

    public PoolingTranslator build() {
      return new PoolingTranslator(this);
    }
  }
}
