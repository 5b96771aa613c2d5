package io.xmodal.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The build's schema-evolution gate: every current schema must read data written with every released
 * version of it (backward compatibility), and no released record may disappear.
 */
class SchemaCompatibilityTest {

  private static final Path CURRENT = Path.of(System.getProperty("xmodal.schemas.current", "src/main/avro"));
  private static final Path RELEASED = Path.of(System.getProperty("xmodal.schemas.released", "src/released"));

  @Test
  void shouldDefineOneSchemaPerDesignRecord() {
    Map<String, Schema> current = SchemaDirectory.parse(CURRENT);

    assertThat(current.keySet()).contains(
        "io.xmodal.schemas.ImageEvent", "io.xmodal.schemas.CaptionEvent", "io.xmodal.schemas.Rejection",
        "io.xmodal.schemas.Embedding", "io.xmodal.schemas.MappingModel", "io.xmodal.schemas.Query",
        "io.xmodal.schemas.QueryResult", "io.xmodal.schemas.MetricEvent");
  }

  @Test
  void generatedClassesShouldMatchTheAvscFiles() {
    Map<String, Schema> current = SchemaDirectory.parse(CURRENT);

    for (Schema generated : List.of(ImageEvent.getClassSchema(), CaptionEvent.getClassSchema(),
        Rejection.getClassSchema(), Embedding.getClassSchema(), MappingModel.getClassSchema(),
        Query.getClassSchema(), QueryResult.getClassSchema(), MetricEvent.getClassSchema())) {
      assertThat(SchemaNormalization.toParsingForm(generated))
          .isEqualTo(SchemaNormalization.toParsingForm(current.get(generated.getFullName())));
    }
  }

  @TestFactory
  Stream<DynamicTest> everyAvscShouldBeUsableOnItsOwnByAStandardClient() throws IOException {
    // a producer hands one file to its client's parser (Python's fastavro, Confluent's serializers): no other file
    List<Path> files;
    try (Stream<Path> all = Files.list(CURRENT)) {
      files = all.filter(p -> p.toString().endsWith(".avsc")).sorted().toList();
    }
    Map<String, Schema> consolidated = new java.util.HashMap<>();
    SchemaDirectory.parse(CURRENT).values().forEach(s -> collectNamed(s, consolidated));
    return files.stream().map(file -> DynamicTest.dynamicTest(file.getFileName().toString(), () -> {
      Schema alone = new Schema.Parser().parse(Files.readString(file));
      // and every named type it defines inline is the very definition the other files give it
      Map<String, Schema> named = new java.util.HashMap<>();
      collectNamed(alone, named);
      named.forEach((name, schema) -> assertThat(SchemaNormalization.toParsingForm(schema))
          .as("%s as defined in %s", name, file.getFileName())
          .isEqualTo(SchemaNormalization.toParsingForm(consolidated.get(name))));
    }));
  }

  @Test
  void theDocumentedTextOfEveryEventIsTheAvscFileByteForByte() throws Exception {
    for (Class<?> type : List.of(ImageEvent.class, CaptionEvent.class, Rejection.class, Embedding.class,
        MappingModel.class, Query.class, QueryResult.class, MetricEvent.class, ShardRequest.class, ShardPartial.class)) {
      DocumentedSchemas.Documented documented = DocumentedSchemas.of(type).orElseThrow();
      assertThat(documented.text()).isEqualTo(Files.readString(CURRENT.resolve(type.getSimpleName() + ".avsc")));
      assertThat(documented.text()).doesNotContain("avro.java.string");
      assertThat(SchemaNormalization.toParsingForm(documented.schema()))
          .isEqualTo(SchemaNormalization.toParsingForm(
              (Schema) type.getField("SCHEMA$").get(null)));
    }
  }

  private static void collectNamed(Schema s, Map<String, Schema> out) {
    switch (s.getType()) {
      case RECORD -> {
        if (out.putIfAbsent(s.getFullName(), s) == null) {
          s.getFields().forEach(f -> collectNamed(f.schema(), out));
        }
      }
      case ENUM, FIXED -> out.putIfAbsent(s.getFullName(), s);
      case ARRAY -> collectNamed(s.getElementType(), out);
      case MAP -> collectNamed(s.getValueType(), out);
      case UNION -> s.getTypes().forEach(t -> collectNamed(t, out));
      default -> { }
    }
  }

  @TestFactory
  Stream<DynamicTest> currentSchemasShouldReadEveryReleasedVersion() throws IOException {
    Map<String, Schema> current = SchemaDirectory.parse(CURRENT);
    List<Path> versions;
    try (Stream<Path> dirs = Files.list(RELEASED)) {
      versions = dirs.filter(Files::isDirectory).sorted().toList();
    }
    assertThat(versions).as("released schema versions under %s", RELEASED).isNotEmpty();

    return versions.stream().flatMap(version -> SchemaDirectory.parse(version).values().stream()
        .map(released -> DynamicTest.dynamicTest(version.getFileName() + " " + released.getName(), () -> {
          Schema now = current.get(released.getFullName());
          assertThat(now).as("%s was released in %s and must not be removed", released.getFullName(), version)
              .isNotNull();
          var result = SchemaCompatibility.checkReaderWriterCompatibility(now, released);
          assertThat(result.getType())
              .as("current %s must read data written with %s: %s", released.getName(), version,
                  result.getResult().getIncompatibilities())
              .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
        })));
  }

  @Test
  void shouldRefuseANewFieldWithoutDefault() {
    Schema released = Rejection.getClassSchema();
    String json = released.toString().replace(
        "{\"name\":\"message\"", "{\"name\":\"severity\",\"type\":\"int\"},{\"name\":\"message\"");
    Schema changed = new Schema.Parser().parse(json);

    var result = SchemaCompatibility.checkReaderWriterCompatibility(changed, released);

    assertThat(result.getType()).isEqualTo(SchemaCompatibilityType.INCOMPATIBLE);
  }

  @Test
  void shouldAcceptANewFieldWithDefault() {
    Schema released = Rejection.getClassSchema();
    String json = released.toString().replace(
        "{\"name\":\"message\"", "{\"name\":\"severity\",\"type\":\"int\",\"default\":0},{\"name\":\"message\"");
    Schema changed = new Schema.Parser().parse(json);

    var result = SchemaCompatibility.checkReaderWriterCompatibility(changed, released);

    assertThat(result.getType()).isEqualTo(SchemaCompatibilityType.COMPATIBLE);
  }
}
