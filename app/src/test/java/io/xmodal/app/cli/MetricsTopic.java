package io.xmodal.app.cli;

import io.xmodal.schemas.MetricEvent;
import io.xmodal.tools.stack.Stack;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads xmodal.metrics from the start, as an operator's consumer would, in the end-to-end tests. */
final class MetricsTopic {

  private MetricsTopic() {}

  /** The metric events read until {@code enough} holds for them or {@code wait} passes. */
  static List<MetricEvent> read(Stack stack, Predicate<List<MetricEvent>> enough, Duration wait) {
    Map<String, Object> props = stack.config().consumerConfig();
    props.put(ConsumerConfig.GROUP_ID_CONFIG, "e2e-metrics-" + UUID.randomUUID());
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    List<MetricEvent> out = new ArrayList<>();
    try (KafkaConsumer<String, MetricEvent> consumer = new KafkaConsumer<>(props, new StringDeserializer(),
        stack.topics().metrics().valueSerde().deserializer())) {
      consumer.subscribe(List.of(stack.topics().metrics().name()));
      long deadline = System.nanoTime() + wait.toNanos();
      while (System.nanoTime() < deadline && !enough.test(out)) {
        consumer.poll(Duration.ofMillis(500)).forEach(r -> {
          if (r.value() != null) {
            out.add(r.value());
          }
        });
      }
    }
    return out;
  }
}
