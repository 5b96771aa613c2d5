package io.xmodal.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * docs/configuration.md's settings table against what the code reads: a Java string literal in any module's main sources,
 * a {@code ${XMODAL_…}} in the launcher script, or one in a logback configuration. Runs from the app module's folder,
 * so the repository root is {@code ..}.
 */
public class ConfigReferenceTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  private static final Pattern NAME = Pattern.compile("XMODAL_[A-Z0-9]+(?:_[A-Z0-9]+)*");
  private static final Pattern STRING_LITERAL = Pattern.compile("\"(?:\\\\.|[^\"\\\\\\r\\n])*\"");
  private static final Pattern SHELL_REFERENCE = Pattern.compile("\\$\\{?(" + NAME.pattern() + ")");

  @Test
  void shouldDocumentEveryVariableTheCodeReads() {
    // Given every XMODAL_ name the code, the launcher and the logging configuration read
    Set<String> read = readByCode();
    read.addAll(readByLauncherAndLogging());
    assertThat(read).as("names found in the code (is the scan looking in the right place?)").hasSizeGreaterThan(40);

    // When docs/configuration.md's settings table is read
    Set<String> documented = documented();

    // Then each has a row there
    Set<String> missing = new TreeSet<>(read);
    missing.removeAll(documented);
    assertThat(missing).as("XMODAL_ variables the code reads but docs/configuration.md's Settings table does not name")
        .isEmpty();
  }

  @Test
  void shouldReadEveryVariableTheReferenceDocuments() {
    // Given docs/configuration.md's settings table
    Set<String> documented = documented();
    assertThat(documented).as("rows of docs/configuration.md's Settings table").hasSizeGreaterThan(40);

    // When the code, the launcher and the logging configuration are scanned
    Set<String> read = readByCode();
    read.addAll(readByLauncherAndLogging());

    // Then nothing in the table is a variable nobody reads
    Set<String> unread = new TreeSet<>(documented);
    unread.removeAll(read);
    assertThat(unread).as("XMODAL_ variables docs/configuration.md's Settings table names but nothing reads").isEmpty();
  }

  /** Names in the first column of the table rows between "## Settings" and the next "## " heading. */
  public static Set<String> documented() {
    List<String> lines = lines(ROOT.resolve("docs").resolve("configuration.md"));
    int start = lines.indexOf("## Settings");
    assertThat(start).as("docs/configuration.md has a '## Settings' section").isNotNegative();
    Set<String> names = new TreeSet<>();
    for (String line : lines.subList(start + 1, lines.size())) {
      if (line.startsWith("## ")) {
        break;
      }
      if (line.startsWith("|")) {
        String[] cells = line.split("\\|");
        if (cells.length > 1) {
          names.addAll(find(NAME, cells[1], 0));
        }
      }
    }
    return names;
  }

  /** Names inside string literals of every {@code <module>/src/main/java} under the repository root. */
  public static Set<String> readByCode() {
    Set<String> names = new TreeSet<>();
    try (Stream<Path> modules = Files.list(ROOT)) {
      for (Path sources : modules.map(m -> m.resolve("src/main/java")).filter(Files::isDirectory).toList()) {
        try (Stream<Path> files = Files.walk(sources)) {
          files.filter(f -> f.toString().endsWith(".java")).forEach(f -> {
            for (String literal : find(STRING_LITERAL, read(f), 0)) {
              names.addAll(find(NAME, literal, 0));
            }
          });
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return names;
  }

  /** {@code ${XMODAL_…}} or {@code $XMODAL_…} in the launcher script and in any module's logback configuration. */
  public static Set<String> readByLauncherAndLogging() {
    Set<String> names = new TreeSet<>(find(SHELL_REFERENCE, read(ROOT.resolve("xmodal")), 1));
    try (Stream<Path> modules = Files.list(ROOT)) {
      for (Path resources : modules.map(m -> m.resolve("src/main/resources")).filter(Files::isDirectory).toList()) {
        try (Stream<Path> files = Files.walk(resources)) {
          files.filter(f -> f.getFileName().toString().endsWith(".xml"))
              .forEach(f -> names.addAll(find(SHELL_REFERENCE, read(f), 1)));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return names;
  }

  private static Set<String> find(Pattern pattern, String text, int group) {
    Set<String> out = new TreeSet<>();
    Matcher m = pattern.matcher(text);
    while (m.find()) {
      out.add(m.group(group));
    }
    return out;
  }

  private static String read(Path file) {
    try {
      return Files.readString(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static List<String> lines(Path file) {
    try {
      return Files.readAllLines(file);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
