package io.xmodal.platform.serde;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.kafka.common.errors.SerializationException;

/**
 * A record written with a valid, registered schema that xmodal's reader schema cannot resolve (a required field the
 * writer left out, a type changed, a record renamed): the producer wrote Avro correctly, with a schema that breaks
 * what xmodal reads. The deserialization handler turns it into an {@code INCOMPATIBLE_SCHEMA} dead letter, with the
 * writer schema's id (from the record's header), what could not be resolved and which fields.
 */
public final class IncompatibleSchemaException extends SerializationException {

  private static final Pattern FIELD = Pattern.compile("/fields/(\\d+)");

  /** One thing the reader cannot resolve: its kind, where (a JSON pointer into the reader schema), which field. */
  public record Problem(String kind, String location, String field, String detail) {}

  private final String writerName;
  private final String readerName;
  private final List<Problem> problems;

  public IncompatibleSchemaException(String writerName, String readerName, List<Problem> problems, Throwable cause) {
    super(describe(writerName, readerName, problems), cause);
    this.writerName = writerName;
    this.readerName = readerName;
    this.problems = List.copyOf(problems);
  }

  /**
   * What xmodal's {@code reader} cannot resolve in data written with {@code writer}; empty when the schemas are
   * compatible (then a failed read is the body's fault, not the schema's).
   */
  public static List<Problem> problems(Schema reader, Schema writer) {
    SchemaCompatibility.SchemaPairCompatibility pair = SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
    if (pair.getType() == SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
      return List.of();
    }
    return pair.getResult().getIncompatibilities().stream()
        .map(i -> new Problem(i.getType().name(), i.getLocation(), fieldAt(reader, i.getLocation(), i), i.getMessage()))
        .toList();
  }

  /** The dotted name of the reader field a location points into (e.g. {@code /fields/2/type} → text). */
  private static String fieldAt(Schema reader, String location, SchemaCompatibility.Incompatibility incompatibility) {
    String path = pathOf(reader, location);
    if (path.isEmpty() && incompatibility.getType()
        == SchemaCompatibility.SchemaIncompatibilityType.READER_FIELD_MISSING_DEFAULT_VALUE) {
      return incompatibility.getMessage();
    }
    return path;
  }

  private static String pathOf(Schema reader, String location) {
    Matcher m = FIELD.matcher(location == null ? "" : location);
    StringBuilder path = new StringBuilder();
    Schema at = reader;
    while (m.find() && at != null) {
      at = unwrap(at);
      int index = Integer.parseInt(m.group(1));
      if (at.getType() != Schema.Type.RECORD || index >= at.getFields().size()) {
        break;
      }
      Schema.Field field = at.getFields().get(index);
      path.append(path.length() == 0 ? "" : ".").append(field.name());
      at = field.schema();
    }
    return path.toString();
  }

  private static Schema unwrap(Schema s) {
    return switch (s.getType()) {
      case ARRAY -> unwrap(s.getElementType());
      case MAP -> unwrap(s.getValueType());
      case UNION -> s.getTypes().stream().filter(t -> t.getType() == Schema.Type.RECORD).findFirst().orElse(s);
      default -> s;
    };
  }

  private static String describe(String writerName, String readerName, List<Problem> problems) {
    return "data written with " + writerName + " cannot be read as " + readerName + ": " + problems.stream()
        .map(p -> p.kind() + (p.field().isEmpty() ? "" : " field " + p.field()) + " at " + p.location()
            + (p.detail() == null || p.detail().isBlank() ? "" : " (" + p.detail() + ")"))
        .collect(Collectors.joining("; "));
  }

  public String writerName() {
    return writerName;
  }

  public String readerName() {
    return readerName;
  }

  public List<Problem> problems() {
    return problems;
  }

  /** The fields concerned, in order, without repeats. */
  public List<String> fields() {
    return problems.stream().map(Problem::field).filter(f -> !f.isEmpty()).distinct().toList();
  }
}
