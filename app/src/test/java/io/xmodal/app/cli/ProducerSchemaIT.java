package io.xmodal.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.xmodal.client.publish.IngestAccounting;
import io.xmodal.ingest.IngestTestImages;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.process.Ports;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.schemas.DocumentedSchemas;
import io.xmodal.schemas.ImageEvent;
import io.xmodal.schemas.Query;
import io.xmodal.schemas.RejectReason;
import io.xmodal.schemas.Rejection;
import io.xmodal.tools.stack.Stack;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 33, defects 2 to 4, against the embedded registry's Confluent-compatible API as a producer in another language
 * sees it: the subjects producers write carry FULL_TRANSITIVE; xmodal registered the documented .avsc text, so
 * registering that file again finds the same id; a version that drops a required field is refused, one that adds an
 * optional field is accepted and its records are processed; a record whose registered writer schema xmodal's reader
 * cannot resolve is dead-lettered INCOMPATIBLE_SCHEMA with its schema id and the field.
 */
@Tag("e2e")
@Timeout(600)
class ProducerSchemaIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();

  @TempDir
  Path work;

  @Test
  void shouldProtectTheServicesReadersAndTellProducersTheTruth() throws Exception {
    ConfigSource source = ConfigSource.of(Map.of(
        "XMODAL_WORK_DIR", work.toString(),
        "XMODAL_BROKER_PORT", Integer.toString(Ports.freePort()),
        "XMODAL_CONTROLLER_PORT", Integer.toString(Ports.freePort()),
        "XMODAL_REGISTRY_PORT", Integer.toString(Ports.freePort()),
        "XMODAL_METRICS_INTERVAL", "1s"));

    try (Stack stack = Stack.start(source, Set.of(Stack.Service.INGEST))) {
      PlatformConfig config = stack.config();
      TopicCatalogue topics = stack.topics();
      String ccompat = config.registryRoot() + "/apis/ccompat/v7";
      String images = topics.imagesRaw().name() + "-value";

      // The subjects producers write carry FULL_TRANSITIVE, as the Confluent-compatible API reports it
      for (String subject : new String[] {images, topics.captionsRaw().name() + "-value",
          topics.queries().name() + "-value"}) {
        JsonNode rule = get(ccompat + "/config/" + encode(subject));
        assertThat(rule.path("compatibilityLevel").asText()).as(subject).isEqualTo("FULL_TRANSITIVE");
      }

      // xmodal registered the documented .avsc text, so the documented file registers as the same id, no new version
      String imageAvsc = DocumentedSchemas.of(ImageEvent.class).orElseThrow().text();
      JsonNode latest = get(ccompat + "/subjects/" + encode(images) + "/versions/latest");
      assertThat(latest.path("schema").asText()).isEqualTo(imageAvsc).doesNotContain("avro.java.string");
      String queries = topics.queries().name() + "-value";
      int queryVersions = get(ccompat + "/subjects/" + encode(queries) + "/versions").size();
      HttpResponse<String> again = register(ccompat, queries, DocumentedSchemas.of(Query.class).orElseThrow().text());
      assertThat(again.statusCode()).isEqualTo(200);
      assertThat(JSON.readTree(again.body()).path("id").asInt())
          .isEqualTo(get(ccompat + "/subjects/" + encode(queries) + "/versions/latest").path("id").asInt());
      assertThat(get(ccompat + "/subjects/" + encode(queries) + "/versions").size()).isEqualTo(queryVersions);

      // A version without the required imageId is refused; one with an optional field added is accepted
      Schema documented = new Schema.Parser().parse(imageAvsc);
      String withoutId = imageAvsc.replace(
          "    {\"name\": \"imageId\", \"type\": \"string\"},\n", "");
      assertThat(withoutId).isNotEqualTo(imageAvsc);
      String withCamera = imageAvsc.replace("    {\"name\": \"height\", \"type\": [\"null\", \"int\"], \"default\": null}\n",
          "    {\"name\": \"height\", \"type\": [\"null\", \"int\"], \"default\": null},\n"
              + "    {\"name\": \"camera\", \"type\": [\"null\", \"string\"], \"default\": null}\n");
      assertThat(withCamera).contains("camera");
      JsonNode check = post(ccompat + "/compatibility/subjects/" + encode(images) + "/versions/latest", withoutId);
      assertThat(check.path("is_compatible").asBoolean(true)).isFalse();
      assertThat(register(ccompat, images, withoutId).statusCode()).isEqualTo(409);
      HttpResponse<String> camera = register(ccompat, images, withCamera);
      assertThat(camera.statusCode()).as(camera.body()).isEqualTo(200);
      int cameraId = JSON.readTree(camera.body()).path("id").asInt();

      // A schema that drops imageId, registered under a subject of its own (the registry cannot refuse it there)
      HttpResponse<String> elsewhere = register(ccompat, "some-other-subject-value", withoutId);
      assertThat(elsewhere.statusCode()).as(elsewhere.body()).isEqualTo(200);
      int withoutIdId = JSON.readTree(elsewhere.body()).path("id").asInt();

      try (IngestAccounting accounting = IngestAccounting.start(config, topics);
           KafkaProducer<String, byte[]> producer = producer(config)) {
        // When a producer writes one record with each
        Schema cameraSchema = new Schema.Parser().parse(withCamera);
        producer.send(new ProducerRecord<>(topics.imagesRaw().name(), "cam-1", wire(cameraId, cameraSchema, r -> {
          r.put("imageId", "cam-1");
          r.put("bytes", ByteBuffer.wrap(IngestTestImages.png(12, 10)));
          r.put("source", "python");
          r.put("producedAt", 1_700_000_000_000L);
          r.put("camera", "a phone");
        }))).get();
        Schema noIdSchema = new Schema.Parser().parse(withoutId);
        producer.send(new ProducerRecord<>(topics.imagesRaw().name(), "no-id-1", wire(withoutIdId, noIdSchema, r -> {
          r.put("bytes", ByteBuffer.wrap(IngestTestImages.png(12, 10)));
          r.put("source", "python");
          r.put("producedAt", 1_700_000_000_000L);
        }))).get();

        // Then the one with the optional field is accepted and processed, the other refused for its schema
        IngestAccounting.Summary s = accounting.awaitAccounted(2, Duration.ofMinutes(2), System.out);
        assertThat(s.images()).isEqualTo(1);
        assertThat(s.rejections()).singleElement().satisfies(r -> {
          assertThat(r.getReason()).isEqualTo(RejectReason.INCOMPATIBLE_SCHEMA);
          assertThat(r.getKey()).isEqualTo("no-id-1");
          assertThat(r.getMessage()).contains("registered schema id " + withoutIdId).contains("fields: imageId")
              .contains("READER_FIELD_MISSING_DEFAULT_VALUE").doesNotContain("Confluent wire format");
        });
        assertThat(documented.getField("camera")).isNull();
      }
    }
  }

  private interface Fill {
    void into(GenericRecord record);
  }

  /** The Confluent wire format: magic byte 0, the 4-byte schema id, the Avro body. */
  private static byte[] wire(int id, Schema schema, Fill fill) throws Exception {
    GenericRecord record = new GenericData.Record(schema);
    fill.into(record);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(0);
    out.write(ByteBuffer.allocate(4).putInt(id).array());
    BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
    new GenericDatumWriter<GenericRecord>(schema).write(record, encoder);
    encoder.flush();
    return out.toByteArray();
  }

  private static KafkaProducer<String, byte[]> producer(PlatformConfig config) {
    Map<String, Object> props = new HashMap<>(config.producerConfig());
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    return new KafkaProducer<>(props, new StringSerializer(), new ByteArraySerializer());
  }

  private static String encode(String subject) {
    return URLEncoder.encode(subject, StandardCharsets.UTF_8);
  }

  private JsonNode get(String url) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as("GET %s: %s", url, r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  private JsonNode post(String url, String schema) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url))
        .header("Content-Type", "application/vnd.schemaregistry.v1+json")
        .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("schema", schema)))).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as("POST %s: %s", url, r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  private HttpResponse<String> register(String ccompat, String subject, String schema) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(ccompat + "/subjects/" + encode(subject) + "/versions"))
        .header("Content-Type", "application/vnd.schemaregistry.v1+json")
        .POST(HttpRequest.BodyPublishers.ofString(JSON.writeValueAsString(Map.of("schema", schema)))).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
