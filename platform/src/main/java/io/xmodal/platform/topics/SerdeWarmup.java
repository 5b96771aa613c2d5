package io.xmodal.platform.topics;

import io.xmodal.platform.serde.AvroSamples;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serialises one sample of every topic's type with the catalogue's own serde instances, and reads it back, so each
 * serializer and deserializer has its schema id cached before the first real record. A registry that goes away
 * later then stops nothing that writes or reads these types: the dead-letter handler can still write a Rejection,
 * every service its MetricEvents.
 */
public final class SerdeWarmup {

  private static final Logger LOG = LoggerFactory.getLogger(SerdeWarmup.class);

  private SerdeWarmup() {}

  /** Every topic of the catalogue; throws what the serde throws (e.g. the registry is unreachable). */
  public static void warm(TopicCatalogue topics) {
    long t0 = System.nanoTime();
    int n = 0;
    for (RecordComponent component : TopicCatalogue.class.getRecordComponents()) {
      if (!(component.getGenericType() instanceof ParameterizedType p) || p.getRawType() != TopicSpec.class
          || !(p.getActualTypeArguments()[1] instanceof Class<?> type) || !SpecificRecord.class.isAssignableFrom(type)) {
        continue;
      }
      try {
        warmOne((TopicSpec<?, ?>) component.getAccessor().invoke(topics), type.asSubclass(SpecificRecord.class));
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("cannot read " + component.getName() + " of the topic catalogue", e);
      }
      n++;
    }
    LOG.debug("serdes of {} topics warmed in {} ms", n, (System.nanoTime() - t0) / 1_000_000);
  }

  @SuppressWarnings("unchecked")
  private static <V> void warmOne(TopicSpec<?, V> spec, Class<? extends SpecificRecord> type) {
    Serde<V> serde = spec.valueSerde();
    byte[] bytes = serde.serializer().serialize(spec.name(), (V) AvroSamples.of(type));
    serde.deserializer().deserialize(spec.name(), bytes);
  }
}
