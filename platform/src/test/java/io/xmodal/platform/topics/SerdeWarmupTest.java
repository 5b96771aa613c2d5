package io.xmodal.platform.topics;

import static org.assertj.core.api.Assertions.assertThat;

import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.TopicSettings;
import io.xmodal.platform.serde.AvroSerdes;
import io.xmodal.platform.serde.PlainAvroSerdes;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.Test;

class SerdeWarmupTest {

  @Test
  void shouldWriteAndReadOneSampleThroughEveryTopicsOwnSerde() {
    // Given a catalogue whose serdes count what goes through them
    Map<String, Integer> written = new ConcurrentHashMap<>();
    Map<String, Integer> read = new ConcurrentHashMap<>();
    AvroSerdes counting = new AvroSerdes() {
      @Override
      public <T extends SpecificRecord> Serde<T> valueSerde(Class<T> type) {
        Serde<T> inner = new PlainAvroSerdes().valueSerde(type);
        Serializer<T> serializer = (topic, value) -> {
          written.merge(topic, 1, Integer::sum);
          return inner.serializer().serialize(topic, value);
        };
        Deserializer<T> deserializer = (topic, bytes) -> {
          read.merge(topic, 1, Integer::sum);
          return inner.deserializer().deserialize(topic, bytes);
        };
        return Serdes.serdeFrom(serializer, deserializer);
      }
    };
    TopicCatalogue topics = TopicCatalogue.create(TopicSettings.from(ConfigSource.of(Map.of())), counting);

    // When it is warmed
    SerdeWarmup.warm(topics);

    // Then every topic's serializer and deserializer has seen exactly one record
    Set<String> names = topics.all().stream().map(TopicSpec::name).collect(Collectors.toSet());
    assertThat(written.keySet()).isEqualTo(names);
    assertThat(read.keySet()).isEqualTo(names);
    assertThat(written.values()).containsOnly(1);
  }
}
