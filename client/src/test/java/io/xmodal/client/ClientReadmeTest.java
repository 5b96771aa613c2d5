package io.xmodal.client;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code client/README.md}'s Java block is {@link ClientExample}'s marked lines, word for word, so the README shows code
 * that compiles against the library as it is. Runs from the client module's folder.
 */
class ClientReadmeTest {

  private static final Path README = Path.of("README.md");
  private static final Path EXAMPLE = Path.of("src/test/java/io/xmodal/client/ClientExample.java");

  @Test
  void shouldQuoteTheCompiledExampleWordForWord() throws IOException {
    // Given the README's only Java block, When it is set beside the example's marked lines, Then they are the same
    List<String> marked = marked(Files.readAllLines(EXAMPLE));
    assertThat(marked).as("the example's marked lines").hasSizeGreaterThan(10);
    assertThat(javaBlock(Files.readAllLines(README))).isEqualTo(marked);
  }

  private static List<String> javaBlock(List<String> lines) {
    List<List<String>> blocks = new ArrayList<>();
    List<String> current = null;
    for (String line : lines) {
      if (current == null && line.equals("```java")) {
        current = new ArrayList<>();
      } else if (current != null && line.equals("```")) {
        blocks.add(current);
        current = null;
      } else if (current != null) {
        current.add(line);
      }
    }
    assertThat(blocks).as("```java blocks in the README").hasSize(1);
    return blocks.get(0);
  }

  // the lines between "// readme:begin" and "// readme:end", less the indentation they share
  private static List<String> marked(List<String> lines) {
    int begin = -1;
    int end = -1;
    for (int i = 0; i < lines.size(); i++) {
      if (lines.get(i).strip().equals("// readme:begin")) {
        begin = i;
      } else if (lines.get(i).strip().equals("// readme:end")) {
        end = i;
      }
    }
    assertThat(begin).as("the example's begin marker").isNotNegative();
    assertThat(end).as("the example's end marker").isGreaterThan(begin);
    List<String> body = lines.subList(begin + 1, end);
    int indent = body.stream().filter(l -> !l.isBlank()).mapToInt(l -> l.length() - l.stripLeading().length()).min()
        .orElse(0);
    return body.stream().map(l -> l.isBlank() ? "" : l.substring(indent)).toList();
  }
}
