package io.xmodal.platform.topics;

import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

/** One topic: its name, its serdes and how it is created. */
public record TopicSpec<K, V>(String name, Serde<K> keySerde, Serde<V> valueSerde, int partitions,
                              short replication, Map<String, String> configs) {

  public TopicSpec {
    configs = Map.copyOf(configs);
  }

  /** Reading it in a topology, with the source node named. */
  public Consumed<K, V> consumed(String sourceName) {
    return Consumed.with(keySerde, valueSerde).withName(sourceName);
  }

  /** Writing it from a topology, with the sink node named. */
  public Produced<K, V> produced(String sinkName) {
    return Produced.with(keySerde, valueSerde).withName(sinkName);
  }

  public NewTopic newTopic() {
    return new NewTopic(name, Optional.of(partitions), Optional.of(replication)).configs(configs);
  }
}
