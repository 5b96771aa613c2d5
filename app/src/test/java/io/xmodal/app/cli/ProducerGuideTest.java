package io.xmodal.app.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * {@code docs/producers.md}'s examples are code that is compiled and run: its Java block is
 * {@link ProducerGuideExample}'s marked lines and its Python block {@code producer_guide.py}'s, word for word, and
 * {@link PythonProducerIT} runs both against the embedded stack. Runs from the app module's folder, so the repository
 * root is {@code ..}.
 */
class ProducerGuideTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Path GUIDE = ROOT.resolve("docs/producers.md");
  private static final Path JAVA = ROOT.resolve("app/src/test/java/io/xmodal/app/cli/ProducerGuideExample.java");
  private static final Path PYTHON_DIR = ROOT.resolve("app/src/test/resources/python");
  private static final String BEGIN = "producers.md:begin";
  private static final String END = "producers.md:end";

  @Test
  void shouldQuoteTheCompiledJavaExampleWordForWord() throws IOException {
    // Given the guide's only Java block, When it is set beside the example's marked lines, Then they are the same
    assertThat(block("java")).isEqualTo(marked(JAVA, "//"));
  }

  @Test
  void shouldQuoteThePythonExampleThePythonITRunsWordForWord() throws IOException {
    assertThat(block("python")).isEqualTo(marked(PYTHON_DIR.resolve("producer_guide.py"), "#"));
  }

  @Test
  @Timeout(60)
  void shouldHaveValidPythonInTheScriptsThePythonITRuns() throws Exception {
    Path python = Path.of("/usr/bin/python3");
    assumeTrue(Files.isExecutable(python), "no /usr/bin/python3 to parse the scripts with");
    for (String script : List.of("producer_guide.py", "producer_e2e.py")) {
      // When Python's own parser reads the script (compiles it, runs none of it)
      Process p = new ProcessBuilder(python.toString(), "-c", "import ast, sys; ast.parse(open(sys.argv[1]).read())",
          PYTHON_DIR.resolve(script).toString()).redirectErrorStream(true).start();
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).as("python parsed %s", script).isTrue();
      // Then it is valid Python
      assertThat(p.exitValue()).as("%s: %s", script, new String(p.getInputStream().readAllBytes())).isZero();
    }
  }

  /** The lines of the guide's only fenced block in {@code language}. */
  private static List<String> block(String language) throws IOException {
    List<List<String>> blocks = new ArrayList<>();
    List<String> current = null;
    for (String line : Files.readAllLines(GUIDE)) {
      if (current == null && line.equals("```" + language)) {
        current = new ArrayList<>();
      } else if (current != null && line.equals("```")) {
        blocks.add(current);
        current = null;
      } else if (current != null) {
        current.add(line);
      }
    }
    assertThat(blocks).as("```%s blocks in %s", language, GUIDE).hasSize(1);
    return blocks.get(0);
  }

  /** The lines between the file's two marker comments, less the indentation they share. */
  private static List<String> marked(Path file, String comment) throws IOException {
    List<String> lines = Files.readAllLines(file);
    int begin = lines.indexOf(lines.stream().filter(l -> l.strip().equals(comment + " " + BEGIN)).findFirst()
        .orElseThrow(() -> new AssertionError(file + " has no line " + comment + " " + BEGIN)));
    int end = lines.indexOf(lines.stream().filter(l -> l.strip().equals(comment + " " + END)).findFirst()
        .orElseThrow(() -> new AssertionError(file + " has no line " + comment + " " + END)));
    List<String> body = lines.subList(begin + 1, end);
    int indent = body.stream().filter(l -> !l.isBlank()).mapToInt(l -> l.length() - l.stripLeading().length()).min()
        .orElse(0);
    return body.stream().map(l -> l.isBlank() ? "" : l.substring(indent)).toList();
  }
}
