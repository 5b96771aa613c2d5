package io.xmodal.schemas;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.Schema;

/**
 * The documented {@code .avsc} files (schemas/src/main/avro, packaged byte for byte under
 * {@code io/xmodal/schemas/avsc/}): the text xmodal registers for each event type, so a producer that registers the
 * same file gets the same schema id instead of a new version. Each file stands on its own (named types it uses are
 * defined inline), as a standard client needs. The generated classes' own schema text differs ({@code avro.java.string}
 * properties), though it reads and writes the same bytes.
 */
public final class DocumentedSchemas {

  private static final Map<String, Optional<Documented>> CACHE = new ConcurrentHashMap<>();

  private DocumentedSchemas() {}

  /** A documented schema: the file's exact text and that text parsed. */
  public record Documented(String text, Schema schema) {}

  /** The documented schema of the record named {@code fullName} ({@code io.xmodal.schemas.X} ↔ {@code X.avsc}). */
  public static Optional<Documented> of(String fullName) {
    return CACHE.computeIfAbsent(fullName, DocumentedSchemas::load);
  }

  /** The documented schema of a generated class. */
  public static Optional<Documented> of(Class<?> type) {
    return of(type.getName());
  }

  private static Optional<Documented> load(String fullName) {
    String prefix = DocumentedSchemas.class.getPackageName() + ".";
    if (!fullName.startsWith(prefix) || fullName.indexOf('.', prefix.length()) >= 0) {
      return Optional.empty();
    }
    String resource = "avsc/" + fullName.substring(prefix.length()) + ".avsc";
    try (InputStream in = DocumentedSchemas.class.getResourceAsStream(resource)) {
      if (in == null) {
        return Optional.empty();
      }
      String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      Schema schema = new Schema.Parser().parse(text);
      return schema.getFullName().equals(fullName) ? Optional.of(new Documented(text, schema)) : Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + resource, e);
    }
  }
}
