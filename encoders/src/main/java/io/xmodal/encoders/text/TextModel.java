package io.xmodal.encoders.text;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The text encoders xmodal ships: all-MiniLM-L6-v2 (384-d, mean pooling), full precision or int8, whose ONNX file and
 * tokenizer.json travel inside langchain4j's Maven Central jars ({@code XMODAL_TEXT_MODEL}).
 */
public enum TextModel {
  MINILM_L6_V2("all-MiniLM-L6-v2", "all-minilm-l6-v2"),
  MINILM_L6_V2_Q("all-MiniLM-L6-v2-int8", "all-minilm-l6-v2-q");

  private final String displayName;
  private final String resource;

  TextModel(String displayName, String resource) {
    this.displayName = displayName;
    this.resource = resource;
  }

  public String displayName() {
    return displayName;
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
    return "langchain4j-embeddings-" + p.getProperty("langchain4j.embeddings.version", "unknown");
  }
}
