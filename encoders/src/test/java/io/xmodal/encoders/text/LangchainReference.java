package io.xmodal.encoders.text;

import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.model.embedding.EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.allminilml6v2.AllMiniLmL6V2EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.bgesmallenv15.BgeSmallEnV15EmbeddingModel;
import dev.langchain4j.model.embedding.onnx.e5smallv2.E5SmallV2EmbeddingModel;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Runs langchain4j's own all-MiniLM-L6-v2 or bge-small-en-v1.5 (the reference; args[2]: the {@link TextModel} name) in
 * a JVM of its own: reads sentences, one per line, from args[0] and writes one vector per line (space-separated
 * floats) to args[1].
 */
public final class LangchainReference {

  private LangchainReference() {}

  public static void main(String[] args) throws Exception {
    List<String> sentences = Files.readAllLines(Path.of(args[0]), StandardCharsets.UTF_8);
    EmbeddingModel model = switch (TextModel.valueOf(args[2])) {
      case MINILM_L6_V2 -> new AllMiniLmL6V2EmbeddingModel();
      case BGE_SMALL_EN_V15 -> new BgeSmallEnV15EmbeddingModel();
      case E5_SMALL_V2 -> new E5SmallV2EmbeddingModel();
      default -> throw new IllegalArgumentException("no reference for " + args[2]);
    };
    try (PrintStream out = new PrintStream(Files.newOutputStream(Path.of(args[1])), true, StandardCharsets.UTF_8)) {
      for (String s : sentences) {
        // the model's own instruction, which langchain4j leaves to the caller and xmodal's encoder adds
        Embedding e = model.embed(TextModel.valueOf(args[2]).prefix() + s).content();
        StringBuilder line = new StringBuilder();
        for (float f : e.vector()) {
          line.append(f).append(' ');
        }
        out.println(line.toString().trim());
      }
    }
  }
}
