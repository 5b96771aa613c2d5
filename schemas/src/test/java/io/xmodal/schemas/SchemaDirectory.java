package io.xmodal.schemas;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.AvroRuntimeException;

/** Parses a folder of .avsc files that refer to each other's named types, in whatever order works. */
final class SchemaDirectory {

  private SchemaDirectory() {}

  /** Every top-level schema of the folder, by full name. */
  static Map<String, Schema> parse(Path dir) {
    Deque<Path> pending = new ArrayDeque<>();
    try (Stream<Path> files = Files.list(dir)) {
      files.filter(p -> p.toString().endsWith(".avsc")).sorted().forEach(pending::add);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
    Map<String, Schema> known = new LinkedHashMap<>();
    int failuresInARow = 0;
    while (!pending.isEmpty()) {
      Path file = pending.removeFirst();
      Schema.Parser parser = new Schema.Parser();
      parser.addTypes(named(known.values()));
      try {
        Schema schema = parser.parse(Files.readString(file));
        known.put(schema.getFullName(), schema);
        failuresInARow = 0;
      } catch (AvroRuntimeException e) {
        // refers to a type defined in a file not parsed yet: try it again later
        pending.addLast(file);
        if (++failuresInARow > pending.size()) {
          throw new IllegalStateException("cannot parse " + file + ": " + e.getMessage(), e);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return known;
  }

  /** The schemas and every named type inside them (a record nested in a field, e.g. QueryResult's Hit). */
  private static java.util.Collection<Schema> named(java.util.Collection<Schema> schemas) {
    Map<String, Schema> out = new LinkedHashMap<>();
    schemas.forEach(s -> collect(s, out));
    return out.values();
  }

  private static void collect(Schema s, Map<String, Schema> out) {
    switch (s.getType()) {
      case RECORD -> {
        if (out.putIfAbsent(s.getFullName(), s) == null) {
          s.getFields().forEach(f -> collect(f.schema(), out));
        }
      }
      case ENUM, FIXED -> out.putIfAbsent(s.getFullName(), s);
      case ARRAY -> collect(s.getElementType(), out);
      case MAP -> collect(s.getValueType(), out);
      case UNION -> s.getTypes().forEach(t -> collect(t, out));
      default -> { }
    }
  }
}
