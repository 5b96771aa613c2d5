package io.xmodal.encoders.text;

import io.xmodal.encoders.text.PoolingTranslator.Pooling;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The text encoders xmodal ships, each an ONNX file and tokenizer.json travelling inside langchain4j's Maven Central
 * jars (only the files are used) ({@code XMODAL_TEXT_MODEL}, one or several joined by commas): all-MiniLM-L6-v2
 * (384-d, mean pooling) and bge-small-en-v1.5 (384-d, [CLS] pooling), each full precision or int8, and e5-small-v2
 * (384-d, mean pooling, inputs prefixed "query: ").
 */
public enum TextModel {
  MINILM_L6_V2("all-MiniLM-L6-v2", "all-minilm-l6-v2", Pooling.MEAN, "langchain4j.embeddings.version"),
  MINILM_L6_V2_Q("all-MiniLM-L6-v2-int8", "all-minilm-l6-v2-q", Pooling.MEAN, "langchain4j.embeddings.version"),
  BGE_SMALL_EN_V15("bge-small-en-v1.5", "bge-small-en-v1.5", Pooling.CLS, "langchain4j.embeddings.bge.version"),
  BGE_SMALL_EN_V15_Q("bge-small-en-v1.5-int8", "bge-small-en-v1.5-q", Pooling.CLS, "langchain4j.embeddings.bge.version"),
  /** e5-small-v2: mean pooling, every input prefixed {@code "query: "} as its authors ask for symmetric tasks. */
  E5_SMALL_V2("e5-small-v2", "e5-small-v2", Pooling.MEAN, "langchain4j.embeddings.bge.version", "query: ");

  private final String displayName;
  private final String resource;
  private final Pooling pooling;
  private final String versionKey;
  private final String prefix;

  TextModel(String displayName, String resource, Pooling pooling, String versionKey) {
    this(displayName, resource, pooling, versionKey, "");
  }

  TextModel(String displayName, String resource, Pooling pooling, String versionKey, String prefix) {
    this.prefix = prefix;
    this.displayName = displayName;
    this.resource = resource;
    this.pooling = pooling;
    this.versionKey = versionKey;
  }

  public String displayName() {
    return displayName;
  }

  /** How its token vectors become a sentence vector (as the model was trained). */
  public Pooling pooling() {
    return pooling;
  }

  /** Text put before every input (the model's instruction), empty for most. */
  public String prefix() {
    return prefix;
  }

  String onnxResource() {
    return resource + ".onnx";
  }

  String tokenizerResource() {
    return resource + "-tokenizer.json";
  }

  /** The version of the jar that carries the files. */
  String version() {
    Properties p = new Properties();
    try (InputStream in = TextModel.class.getResourceAsStream("/xmodal-encoders.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return "langchain4j-embeddings-" + p.getProperty(versionKey, "unknown");
  }
}
