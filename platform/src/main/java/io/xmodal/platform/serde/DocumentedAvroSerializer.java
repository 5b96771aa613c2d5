package io.xmodal.platform.serde;

import io.apicurio.registry.resolver.ParsedSchema;
import io.apicurio.registry.resolver.ParsedSchemaImpl;
import io.apicurio.registry.resolver.SchemaParser;
import io.apicurio.registry.resolver.data.Record;
import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import io.xmodal.schemas.DocumentedSchemas;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.avro.Schema;

/**
 * Apicurio's Avro serializer, registering the documented {@code .avsc} text of xmodal's events
 * ({@link DocumentedSchemas}) instead of the generated classes' text (which carries {@code avro.java.string}
 * properties): a producer that registers the documented file then finds the very version xmodal registered, with the
 * same id, instead of adding a version. The record is still written with its class's schema: the same bytes.
 */
final class DocumentedAvroSerializer<T> extends AvroKafkaSerializer<T> {

  @Override
  public SchemaParser<Schema, T> schemaParser() {
    SchemaParser<Schema, T> inner = super.schemaParser();
    return inner == null ? null : new Documented<>(inner);
  }

  /** The wrapped parser, except that the raw schema of an xmodal event is its documented file. */
  private record Documented<T>(SchemaParser<Schema, T> inner) implements SchemaParser<Schema, T> {

    @Override
    public String artifactType() {
      return inner.artifactType();
    }

    @Override
    public Schema parseSchema(byte[] rawSchema, Map<String, ParsedSchema<Schema>> resolvedReferences) {
      return inner.parseSchema(rawSchema, resolvedReferences);
    }

    @Override
    public ParsedSchema<Schema> getSchemaFromData(Record<T> data) {
      return documented(inner.getSchemaFromData(data));
    }

    @Override
    public ParsedSchema<Schema> getSchemaFromData(Record<T> data, boolean dereference) {
      return documented(inner.getSchemaFromData(data, dereference));
    }

    @Override
    public boolean supportsExtractSchemaFromData() {
      return inner.supportsExtractSchemaFromData();
    }

    @Override
    public boolean supportsGetSchemaFromLocation() {
      return inner.supportsGetSchemaFromLocation();
    }

    @Override
    public ParsedSchema<Schema> getSchemaFromLocation(String location) {
      return inner.getSchemaFromLocation(location);
    }

    private static ParsedSchema<Schema> documented(ParsedSchema<Schema> parsed) {
      if (parsed == null || parsed.getParsedSchema() == null || parsed.hasReferences()) {
        return parsed;
      }
      Schema schema = parsed.getParsedSchema();
      return DocumentedSchemas.of(schema.getFullName())
          .<ParsedSchema<Schema>>map(d -> new ParsedSchemaImpl<Schema>()
              .setParsedSchema(schema)
              .setReferenceName(schema.getFullName())
              .setRawSchema(d.text().getBytes(StandardCharsets.UTF_8)))
          .orElse(parsed);
    }
  }
}
