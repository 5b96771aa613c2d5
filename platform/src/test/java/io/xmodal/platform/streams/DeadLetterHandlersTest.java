package io.xmodal.platform.streams;

import static org.assertj.core.api.Assertions.assertThat;

import io.xmodal.platform.serde.PlainAvroSerdes;
import io.xmodal.schemas.RejectReason;
import io.xmodal.schemas.Rejection;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class DeadLetterHandlersTest {

  private final Serde<Rejection> rejections = new PlainAvroSerdes().valueSerde(Rejection.class);
  private Map<String, Object> configs;

  @BeforeEach
  void configure() {
    configs = Map.of(DeadLetterRoute.CONFIG, new DeadLetterRoute("xmodal.rejected", rejections.serializer(),
        new RejectionFactory("svc", 4), io.xmodal.platform.logging.LogLimiter.standard(), java.util.Optional.empty()));
  }

  private static ErrorHandlerContext context(byte[] key, byte[] value) {
    return new ErrorHandlerContext() {
      @Override public String topic() { return "xmodal.images.raw"; }
      @Override public int partition() { return 2; }
      @Override public long offset() { return 41; }
      @Override public Headers headers() { return new RecordHeaders(); }
      @Override public String processorNodeId() { return "images-raw-source"; }
      @Override public TaskId taskId() { return new TaskId(0, 2); }
      @Override public long timestamp() { return 0; }
      @Override public byte[] sourceRawKey() { return key; }
      @Override public byte[] sourceRawValue() { return value; }
    };
  }

  @Test
  void shouldTurnAPoisonPillIntoACappedRejectionAndResume() {
    byte[] key = "k1".getBytes(StandardCharsets.UTF_8);
    byte[] value = {9, 8, 7, 6, 5, 4};
    DeadLetterHandlers.OnDeserialization handler = new DeadLetterHandlers.OnDeserialization();
    handler.configure(configs);

    DeserializationExceptionHandler.Response response = handler.handleError(context(key, value),
        new ConsumerRecord<>("xmodal.images.raw", 2, 41, key, value), new SerializationException("Unknown magic byte!"));

    assertThat(response.result()).isEqualTo(DeserializationExceptionHandler.Result.RESUME);
    List<ProducerRecord<byte[], byte[]>> out = response.deadLetterQueueRecords();
    assertThat(out).hasSize(1);
    assertThat(out.get(0).topic()).isEqualTo("xmodal.rejected");
    assertThat(out.get(0).key()).isEqualTo(key);
    Rejection r = rejections.deserializer().deserialize("xmodal.rejected", out.get(0).value());
    assertThat(r.getReason()).isEqualTo(RejectReason.UNDESERIALIZABLE);
    assertThat(r.getSourceTopic()).isEqualTo("xmodal.images.raw");
    assertThat(r.getSourcePartition()).isEqualTo(2);
    assertThat(r.getSourceOffset()).isEqualTo(41);
    assertThat(r.getKey()).isEqualTo("k1");
    assertThat(r.getPayload()).isEqualTo(ByteBuffer.wrap(new byte[] {9, 8, 7, 6}));
    assertThat(r.getPayloadSize()).isEqualTo(6);
    assertThat(r.getPayloadTruncated()).isTrue();
    assertThat(r.getService()).isEqualTo("svc");
    assertThat(r.getMessage()).contains("magic byte 0").contains("Unknown magic byte!");
  }

  @Test
  void shouldClassifyAMissingSchemaIdAsUnknownSchema() {
    DeadLetterHandlers.OnDeserialization handler = new DeadLetterHandlers.OnDeserialization();
    handler.configure(configs);
    Exception cause = new SerializationException("failed", new IllegalStateException("No content with id '999' was found."));

    byte[] framed = {0, 0, 0, 3, (byte) 231, 1};
    DeserializationExceptionHandler.Response response = handler.handleError(context(null, framed),
        new ConsumerRecord<>("xmodal.images.raw", 2, 41, null, framed), cause);

    Rejection r = rejections.deserializer().deserialize("xmodal.rejected", response.deadLetterQueueRecords().get(0).value());
    assertThat(r.getReason()).isEqualTo(RejectReason.UNKNOWN_SCHEMA);
    assertThat(r.getKey()).isNull();
  }

  @Test
  void shouldClassifyARecordOfAnotherEventTypeAsWrongType() {
    DeadLetterHandlers.OnDeserialization handler = new DeadLetterHandlers.OnDeserialization();
    handler.configure(configs);
    Serde<io.xmodal.schemas.ImageEvent> images = new PlainAvroSerdes().valueSerde(io.xmodal.schemas.ImageEvent.class);
    byte[] aCaption = new PlainAvroSerdes().valueSerde(io.xmodal.schemas.CaptionEvent.class).serializer().serialize(
        "xmodal.images.raw", io.xmodal.schemas.CaptionEvent.newBuilder().setCaptionId("c").setText("t")
            .setSource("s").setProducedAt(java.time.Instant.EPOCH).build());
    Exception thrown = org.assertj.core.api.Assertions.catchException(
        () -> images.deserializer().deserialize("xmodal.images.raw", aCaption));

    DeserializationExceptionHandler.Response response = handler.handleError(context(null, aCaption),
        new ConsumerRecord<>("xmodal.images.raw", 2, 41, null, aCaption), thrown);

    assertThat(thrown).isInstanceOf(io.xmodal.platform.serde.WrongTypeException.class);
    Rejection r = rejections.deserializer().deserialize("xmodal.rejected", response.deadLetterQueueRecords().get(0).value());
    assertThat(r.getReason()).isEqualTo(RejectReason.WRONG_TYPE);
    assertThat(r.getMessage()).contains("ImageEvent").contains("CaptionEvent");
  }

  @Test
  void shouldTurnAProcessorExceptionIntoARejection() {
    DeadLetterHandlers.OnProcessing handler = new DeadLetterHandlers.OnProcessing();
    handler.configure(configs);

    var response = handler.handleError(context("k".getBytes(StandardCharsets.UTF_8), new byte[] {1}),
        new Record<>("k", "v", 0L), new IllegalStateException("boom"));

    Rejection r = rejections.deserializer().deserialize("xmodal.rejected", response.deadLetterQueueRecords().get(0).value());
    assertThat(r.getReason()).isEqualTo(RejectReason.PROCESSING_ERROR);
    assertThat(r.getMessage()).contains("images-raw-source").contains("boom");
  }

  @Test
  void shouldLetARecordWaitInsteadOfDeadLetteringItWhileTheRegistryIsUnreachable() {
    // Given a framed record whose schema the serde cannot look up because the registry refuses connections
    Exception outage = io.xmodal.platform.health.DependencyFailuresTest.deserialising(
        "http://127.0.0.1:" + io.xmodal.platform.process.Ports.freePort() + "/apis/registry/v2");
    DeadLetterHandlers.OnDeserialization handler = new DeadLetterHandlers.OnDeserialization();
    handler.configure(configs);
    byte[] framed = io.xmodal.platform.health.DependencyFailuresTest.FRAMED;

    // When the deserialization handler sees it
    DeserializationExceptionHandler.Response response = handler.handleError(context(null, framed),
        new ConsumerRecord<>("xmodal.images.raw", 2, 41, null, framed), outage);

    // Then it is no dead letter: the thread fails and reads it again later
    assertThat(response.result()).isEqualTo(DeserializationExceptionHandler.Result.FAIL);
    assertThat(response.deadLetterQueueRecords()).isEmpty();
  }

  @Test
  void shouldStillDeadLetterASchemaIdTheRegistryAnswersNotFoundFor() throws Exception {
    try (io.xmodal.platform.health.RegistryStub registry = io.xmodal.platform.health.RegistryStub.start(0)) {
      Exception notFound = io.xmodal.platform.health.DependencyFailuresTest.deserialising(registry.apiUrl());
      DeadLetterHandlers.OnDeserialization handler = new DeadLetterHandlers.OnDeserialization();
      handler.configure(configs);
      byte[] framed = io.xmodal.platform.health.DependencyFailuresTest.FRAMED;

      DeserializationExceptionHandler.Response response = handler.handleError(context(null, framed),
          new ConsumerRecord<>("xmodal.images.raw", 2, 41, null, framed), notFound);

      assertThat(response.result()).isEqualTo(DeserializationExceptionHandler.Result.RESUME);
      Rejection r = rejections.deserializer().deserialize("xmodal.rejected",
          response.deadLetterQueueRecords().get(0).value());
      assertThat(r.getReason()).isEqualTo(RejectReason.UNKNOWN_SCHEMA);
    }
  }

  @Test
  void shouldFailAnOutputThatCannotBeSerialisedWhileTheRegistryIsUnreachable() {
    Exception outage = io.xmodal.platform.health.DependencyFailuresTest.deserialising(
        "http://127.0.0.1:" + io.xmodal.platform.process.Ports.freePort() + "/apis/registry/v2");
    DeadLetterHandlers.OnProduction handler = new DeadLetterHandlers.OnProduction();
    handler.configure(configs);

    var response = handler.handleSerializationError(context("k".getBytes(StandardCharsets.UTF_8), new byte[] {1}),
        new ProducerRecord<>("xmodal.images", "k", "v"), outage,
        org.apache.kafka.streams.errors.ProductionExceptionHandler.SerializationExceptionOrigin.VALUE);

    assertThat(response.result()).isEqualTo(
        org.apache.kafka.streams.errors.ProductionExceptionHandler.Result.FAIL);
    assertThat(response.deadLetterQueueRecords()).isEmpty();
  }

  @Test
  void shouldTellAProducerWhoseRegisteredSchemaTheReaderCannotResolveThatTheSchemaIsTheProblem() {
    byte[] value = ByteBuffer.allocate(9).put((byte) 0).putInt(31).putInt(0x02020202).array();
    DeadLetterHandlers.OnDeserialization handler = new DeadLetterHandlers.OnDeserialization();
    handler.configure(configs);
    var incompatible = new io.xmodal.platform.serde.IncompatibleSchemaException("io.xmodal.schemas.ImageEvent",
        "io.xmodal.schemas.ImageEvent", List.of(new io.xmodal.platform.serde.IncompatibleSchemaException.Problem(
            "READER_FIELD_MISSING_DEFAULT_VALUE", "/fields/0", "imageId", "imageId")),
        new org.apache.avro.AvroTypeException("missing required field imageId"));

    DeserializationExceptionHandler.Response response = handler.handleError(context(null, value),
        new ConsumerRecord<>("xmodal.images.raw", 2, 41, null, value),
        new IllegalStateException(new java.io.UncheckedIOException(new java.io.IOException(incompatible))));

    Rejection r = rejections.deserializer().deserialize("xmodal.rejected",
        response.deadLetterQueueRecords().get(0).value());
    assertThat(r.getReason()).isEqualTo(RejectReason.INCOMPATIBLE_SCHEMA);
    assertThat(r.getMessage()).contains("registered schema id 31").contains("fields: imageId")
        .contains("READER_FIELD_MISSING_DEFAULT_VALUE").doesNotContain("Confluent wire format");
  }
}
