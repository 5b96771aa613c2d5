package io.xmodal.platform.serde;

import io.apicurio.registry.serde.Legacy4ByteIdHandler;
import io.apicurio.registry.serde.SerdeConfig;
import io.apicurio.registry.serde.avro.AvroKafkaDeserializer;
import io.apicurio.registry.serde.avro.AvroKafkaSerdeConfig;
import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import io.xmodal.platform.config.Credentials;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.logging.LogLimiter;
import io.xmodal.schemas.AvroTrust;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * Avro serdes backed by an Apicurio registry, writing the Confluent wire format: one magic byte 0, a 4-byte
 * big-endian schema id (Apicurio's contentId, which is the id the registry's Confluent-compatible API
 * {@code /apis/ccompat/v7/schemas/ids/{id}} serves), then the Avro binary body; no headers. Any
 * Confluent-compatible consumer, in any language, pointed at {@code …/apis/ccompat/v7}, reads these topics.
 * Schemas register themselves on first use under the subject {@code <topic>-value}, as their documented {@code .avsc}
 * text ({@link DocumentedAvroSerializer}); a record whose writer schema xmodal's reader cannot resolve fails with an
 * {@link IncompatibleSchemaException} ({@link CachingAvroDatumProvider}). With registry credentials
 * ({@code XMODAL_REGISTRY_USER}, {@code XMODAL_REGISTRY_PASSWORD}) every request carries HTTP basic auth.
 */
public final class RegistryAvroSerdes implements AvroSerdes {

  /** How long a looked-up schema stays cached: for good (ten years). */
  static final Duration SCHEMA_CACHE_LIFETIME = Duration.ofDays(3650);

  /**
   * How long reading a record whose schema is not cached waits for an unreachable registry before it fails: long
   * enough to ride out a restart, well inside the consumer's max.poll.interval.ms (5 min).
   */
  public static final Duration OUTAGE_WAIT = Duration.ofSeconds(60);

  private final Map<String, Object> config;
  private final String registryUrl;
  private final Duration outageWait;
  private final LogLimiter limiter = LogLimiter.standard();

  public RegistryAvroSerdes(String registryUrl) {
    this(registryUrl, Map.of());
  }

  /** On the configured registry ({@code XMODAL_REGISTRY_URL}), with its credentials if any are configured. */
  public static RegistryAvroSerdes of(PlatformConfig config) {
    return new RegistryAvroSerdes(config.requireRegistryUrl(), config.registryAuth().map(RegistryAvroSerdes::basicAuth)
        .orElse(Map.of()));
  }

  /** The serde settings that make the Apicurio client send HTTP basic auth. */
  static Map<String, Object> basicAuth(Credentials credentials) {
    return Map.of(SerdeConfig.AUTH_USERNAME, credentials.user(), SerdeConfig.AUTH_PASSWORD, credentials.password());
  }

  public RegistryAvroSerdes(String registryUrl, Map<String, ?> overrides) {
    this(registryUrl, overrides, OUTAGE_WAIT);
  }

  /** {@code outageWait}: how long a read waits for an unreachable registry (zero: it fails at once). */
  public RegistryAvroSerdes(String registryUrl, Map<String, ?> overrides, Duration outageWait) {
    AvroTrust.trustXmodalSchemas();
    Map<String, Object> c = new HashMap<>();
    c.put(SerdeConfig.REGISTRY_URL, registryUrl);
    c.put(SerdeConfig.AUTO_REGISTER_ARTIFACT, true);
    c.put(SerdeConfig.AUTO_REGISTER_ARTIFACT_IF_EXISTS, "RETURN_OR_UPDATE");
    c.put(SerdeConfig.ENABLE_HEADERS, false);
    c.put(SerdeConfig.ID_HANDLER, Legacy4ByteIdHandler.class.getName());
    c.put(SerdeConfig.USE_ID, "contentId");
    c.put(AvroKafkaSerdeConfig.USE_SPECIFIC_AVRO_READER, true);
    // one reader per writer schema and thread instead of one per record
    c.put(AvroKafkaSerdeConfig.AVRO_DATUM_PROVIDER, CachingAvroDatumProvider.class.getName());
    // a schema id and its content never change, so a looked-up schema stays cached for the life of the process
    // (Apicurio's default looks it up again after 30 s, and during a registry outage that lookup fails the record)
    c.put(SerdeConfig.CHECK_PERIOD_MS, SCHEMA_CACHE_LIFETIME.toMillis());
    c.putAll(overrides);
    this.config = Map.copyOf(c);
    this.registryUrl = registryUrl;
    this.outageWait = outageWait;
  }

  @Override
  public <T extends SpecificRecord> Serde<T> valueSerde(Class<T> type) {
    AvroKafkaSerializer<T> serializer = new DocumentedAvroSerializer<>();
    serializer.configure(config, false);
    AvroKafkaDeserializer<Object> reader = new AvroKafkaDeserializer<>();
    reader.configure(config, false);
    // the specific reader builds whatever class the writer's schema names: only the topic's own type gets through
    // the id travels in the value (no headers) unless an override says otherwise: only then is the header cacheable
    boolean idInValue = !Boolean.parseBoolean(String.valueOf(config.getOrDefault(SerdeConfig.ENABLE_HEADERS, false)));
    return Serdes.serdeFrom(idInValue ? new SchemaIdCachingSerializer<>(serializer) : serializer,
        new TypedDeserializer<>(type,
        new RegistryWaitingDeserializer(reader, registryUrl, outageWait, limiter)));
  }
}
