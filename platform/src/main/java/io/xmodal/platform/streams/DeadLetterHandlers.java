package io.xmodal.platform.streams;

import io.xmodal.platform.health.Dependency;
import io.xmodal.platform.health.DependencyFailures;
import io.xmodal.platform.health.DependencyUnavailableException;
import io.xmodal.platform.logging.LogLimiter;
import io.xmodal.platform.serde.IncompatibleSchemaException;
import io.xmodal.platform.serde.WrongTypeException;
import io.xmodal.schemas.RejectReason;
import io.xmodal.schemas.Rejection;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.event.Level;

/**
 * Kafka Streams error handlers that turn a failure into a {@link Rejection} on the dead-letter topic and let the
 * stream thread carry on. Configured through {@link StreamsSettings}; they read their collaborators from the
 * {@link DeadLetterRoute} in the streams config.
 *
 * <p>An outage is not bad data: when the schema registry or the broker cannot be reached, no dead letter is written;
 * the handler fails, the stream thread stops and (after {@link StreamsService}'s back-off) re-reads the record from
 * the last committed offset, so nothing is skipped. Their log lines go through the route's {@link LogLimiter} (shared
 * by a service's threads): the first few per minute and reason, then a count; every record is on the
 * dead-letter topic and counted in the metrics.
 */
public final class DeadLetterHandlers {

  private static final Logger LOG = LoggerFactory.getLogger(DeadLetterHandlers.class);

  private DeadLetterHandlers() {}

  /** What every handler needs: where to write and how. */
  static final class Sink {
    private final String topic;
    private final Serializer<Rejection> serializer;
    private final RejectionFactory factory;
    private final Map<String, Object> producerConfig;
    private KafkaProducer<byte[], byte[]> globalProducer;
    private final LogLimiter limiter;
    private final String registryUrl;

    Sink(Map<String, ?> configs) {
      DeadLetterRoute route = DeadLetterRoute.of(configs);
      this.topic = route.topic();
      this.serializer = route.serializer();
      this.factory = route.factory();
      this.limiter = route.limiter();
      this.registryUrl = route.registryUrl().orElse(null);
      this.producerConfig = producerConfig(configs);
    }

    /**
     * If {@code exception} is an outage of a dependency, logs (rate-limited) that the record waits for it and says
     * to fail; empty otherwise.
     */
    Optional<DependencyFailures.Failure> outage(ErrorHandlerContext context, String what, Exception exception) {
      Optional<DependencyFailures.Failure> failure = DependencyFailures.classify(exception);
      failure.ifPresent(f -> limiter.log(LOG, Level.WARN, "outage " + f.dependency(),
          "task {}: {} {}-{}@{}: {}; not a dead letter: the stream thread stops and reads it again once the {} "
              + "answers ({})", context.taskId(), what, context.topic(), context.partition(), context.offset(),
          DependencyUnavailableException.describe(f.dependency(),
              f.dependency() == Dependency.REGISTRY ? registryUrl : null, f.reason()),
          f.dependency().label(), f.dependency().setting() + " names it"));
      return failure;
    }

    /**
     * The dead letters for the handler to return, which Kafka Streams writes in the task's transaction. A global
     * store's thread has no record collector (Kafka Streams 4.4 fails with a ClassCastException on dead-letter
     * records returned there, and its thread dies), so there the dead letter is written by a producer of the
     * handler's own and nothing is returned: at least once, like the global thread's own processing.
     */
    List<ProducerRecord<byte[], byte[]>> deadLetter(ErrorHandlerContext context, byte[] rawKey, byte[] rawValue,
                                                    RejectReason reason, String message) {
      RejectionFactory.Source source =
          RejectionFactory.Source.of(context.topic(), context.partition(), context.offset(), rawKey);
      Rejection rejection = factory.create(source, reason, message, rawValue, Instant.now());
      byte[] value = serializer.serialize(topic, rejection);
      limiter.log(LOG, Level.WARN, "dead letter " + reason, "task {} node {}: dead-lettered {} as {}: {}",
          context.taskId(), context.processorNodeId(), source, reason, message);
      ProducerRecord<byte[], byte[]> record = new ProducerRecord<>(topic, null, rawKey, value);
      if (!isGlobal(context)) {
        return List.of(record);
      }
      sendFromGlobalThread(record);
      return List.of();
    }

    private synchronized void sendFromGlobalThread(ProducerRecord<byte[], byte[]> record) {
      if (globalProducer == null) {
        globalProducer = new KafkaProducer<>(producerConfig, new ByteArraySerializer(), new ByteArraySerializer());
      }
      try {
        globalProducer.send(record).get(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while writing a dead letter", e);
      } catch (ExecutionException | TimeoutException e) {
        throw new IllegalStateException("cannot write a dead letter to " + topic + ": " + e.getMessage(), e);
      }
    }

    private static boolean isGlobal(ErrorHandlerContext context) {
      return context.taskId() == null || context.taskId().subtopology() < 0;
    }

    /** The streams config's client settings (bootstrap, security, producer.* overrides) for a plain producer. */
    private static Map<String, Object> producerConfig(Map<String, ?> configs) {
      Map<String, Object> out = new HashMap<>();
      Set<String> names = ProducerConfig.configNames();
      configs.forEach((k, v) -> {
        if (names.contains(k) && v != null) {
          out.put(k, v);
        }
      });
      configs.forEach((k, v) -> {
        if (k.startsWith("producer.") && names.contains(k.substring(9)) && v != null) {
          out.put(k.substring(9), v);
        }
      });
      out.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
      out.remove(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG);
      out.remove(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG);
      out.put(ProducerConfig.ACKS_CONFIG, "all");
      out.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
      out.put(ProducerConfig.CLIENT_ID_CONFIG, "xmodal-global-dlq");
      return out;
    }
  }

  /** A record that cannot be deserialised (poison pill, unknown schema id) becomes a dead letter. */
  public static final class OnDeserialization implements DeserializationExceptionHandler {
    private Sink sink;

    @Override
    public void configure(Map<String, ?> configs) {
      sink = new Sink(configs);
    }

    @Override
    public Response handleError(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record,
                                Exception exception) {
      WrongTypeException wrongType = find(exception, WrongTypeException.class);
      if (wrongType != null) {
        return Response.resume(sink.deadLetter(context, record.key(), record.value(), RejectReason.WRONG_TYPE,
            wrongType.getMessage()));
      }
      IncompatibleSchemaException incompatible = find(exception, IncompatibleSchemaException.class);
      if (incompatible != null) {
        return Response.resume(sink.deadLetter(context, record.key(), record.value(), RejectReason.INCOMPATIBLE_SCHEMA,
            incompatibleMessage(incompatible, record.value())));
      }
      if (sink.outage(context, "cannot deserialise", exception).isPresent()) {
        return Response.fail();
      }
      byte[] value = record.value();
      boolean framed = value != null && value.length >= 5 && value[0] == 0;
      RejectReason reason = framed && isUnknownSchema(exception)
          ? RejectReason.UNKNOWN_SCHEMA : RejectReason.UNDESERIALIZABLE;
      String what = !framed
          ? "the value does not start with the wire-format header (magic byte 0, 4-byte schema id)"
          : reason == RejectReason.UNKNOWN_SCHEMA
              ? "the value names a schema id the registry does not know"
              : "the value's Avro body does not match its schema";
      String message = what + " (" + rootMessage(exception) + "); producers must write Avro with a registry "
          + "serializer in the Confluent wire format: magic byte 0, 4-byte schema id, Avro body";
      return Response.resume(sink.deadLetter(context, record.key(), record.value(), reason, message));
    }

    /**
     * The message of an INCOMPATIBLE_SCHEMA dead letter: the writer schema's id (from the record's header), what
     * xmodal's reader cannot resolve and which fields, and what a producer may change instead.
     */
    static String incompatibleMessage(IncompatibleSchemaException e, byte[] value) {
      String id = value != null && value.length >= 5 && value[0] == 0
          ? Integer.toString(ByteBuffer.wrap(value, 1, 4).getInt()) : "unknown";
      List<String> fields = e.fields();
      return "the record is Avro written with registered schema id " + id + " (" + e.writerName() + "), which xmodal's "
          + e.readerName() + " reader cannot resolve" + (fields.isEmpty() ? "" : " (fields: " + String.join(", ", fields)
          + ")") + ": " + e.problems().stream().map(p -> p.kind() + (p.field().isEmpty() ? "" : " " + p.field())
              + " at " + p.location() + (p.detail() == null || p.detail().isBlank() ? "" : " (" + p.detail() + ")"))
          .collect(Collectors.joining("; "))
          + "; the wire format is right, the schema is not: evolve it only as docs/producers.md allows (add optional "
          + "fields with defaults; never remove or retype a field xmodal requires) and write with that version";
    }

    static boolean isUnknownSchema(Throwable e) {
      for (Throwable t = e; t != null; t = t.getCause()) {
        String name = t.getClass().getSimpleName();
        String msg = String.valueOf(t.getMessage());
        if (name.contains("NotFound") || msg.contains("No content with id") || msg.contains("not found")) {
          return true;
        }
      }
      return false;
    }
  }

  /** An exception thrown inside a processor becomes a dead letter instead of killing the thread. */
  public static final class OnProcessing implements ProcessingExceptionHandler {
    private Sink sink;

    @Override
    public void configure(Map<String, ?> configs) {
      sink = new Sink(configs);
    }

    @Override
    public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
      if (sink.outage(context, "cannot process", exception).isPresent()) {
        return Response.fail();
      }
      sink.limiter.log(LOG, Level.ERROR, "processing " + context.processorNodeId() + " "
              + exception.getClass().getName(), "task {} node {}: processing failed for {}-{}@{}", context.taskId(),
          context.processorNodeId(), context.topic(), context.partition(), context.offset(), exception);
      return Response.resume(sink.deadLetter(context, context.sourceRawKey(), context.sourceRawValue(),
          RejectReason.PROCESSING_ERROR, "processor " + context.processorNodeId() + " failed: " + rootMessage(exception)));
    }
  }

  /** A record the producer refuses (too large, not serialisable) becomes a dead letter; other errors fail. */
  public static final class OnProduction implements ProductionExceptionHandler {
    private Sink sink;

    @Override
    public void configure(Map<String, ?> configs) {
      sink = new Sink(configs);
    }

    @Override
    public Response handleError(ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record,
                                Exception exception) {
      if (exception instanceof RecordTooLargeException) {
        return Response.resume(sink.deadLetter(context, context.sourceRawKey(), context.sourceRawValue(),
            RejectReason.PROCESSING_ERROR, "output to " + record.topic() + " is too large: " + exception.getMessage()
                + "; raise XMODAL_MAX_MESSAGE_BYTES or send smaller items"));
      }
      return Response.fail();
    }

    @Override
    public Response handleSerializationError(ErrorHandlerContext context, ProducerRecord record, Exception exception,
                                             SerializationExceptionOrigin origin) {
      if (sink.outage(context, "cannot serialise the output of", exception).isPresent()) {
        return Response.fail();
      }
      return Response.resume(sink.deadLetter(context, context.sourceRawKey(), context.sourceRawValue(),
          RejectReason.PROCESSING_ERROR, "cannot serialise the " + origin.name().toLowerCase(Locale.ROOT) + " for "
              + record.topic() + ": " + rootMessage(exception)));
    }
  }

  static <E extends Throwable> E find(Throwable e, Class<E> type) {
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (type.isInstance(t)) {
        return type.cast(t);
      }
    }
    return null;
  }

  static String rootMessage(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    String m = t.getMessage();
    return t.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }
}
