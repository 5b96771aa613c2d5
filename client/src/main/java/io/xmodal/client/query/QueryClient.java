package io.xmodal.client.query;

import io.xmodal.client.publish.Progress;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.schemas.Query;
import io.xmodal.schemas.QueryResult;
import java.io.PrintStream;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * A consumer's view of query-stream: sends queries to {@code xmodal.queries} and collects their results from
 * {@code xmodal.results} (read from where the results topic ended when the client was created, committed only).
 */
public final class QueryClient implements AutoCloseable {

  private final TopicCatalogue topics;
  private final KafkaProducer<String, Query> producer;
  private final KafkaConsumer<String, QueryResult> consumer;

  public QueryClient(PlatformConfig config, TopicCatalogue topics) {
    this.topics = topics;
    Map<String, Object> p = new HashMap<>(config.producerConfig());
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    this.producer = new KafkaProducer<>(p, new StringSerializer(), topics.queries().valueSerde().serializer());
    this.consumer = new KafkaConsumer<>(config.consumerConfig(), new StringDeserializer(), topics.results().valueSerde().deserializer());
    List<TopicPartition> partitions = consumer.partitionsFor(topics.results().name(), Duration.ofSeconds(30)).stream()
        .map(i -> new TopicPartition(i.topic(), i.partition())).toList();
    consumer.assign(partitions);
    consumer.seekToEnd(partitions);
    partitions.forEach(consumer::position);
  }

  public void send(Query q) {
    producer.send(new ProducerRecord<>(topics.queries().name(), q.getQueryId(), q));
  }

  public void flush() {
    producer.flush();
  }

  /** Results for {@code ids}, waiting up to {@code timeout}; the map lacks the ones that did not come. */
  public Map<String, QueryResult> await(Set<String> ids, Duration timeout, PrintStream progressOut) {
    Map<String, QueryResult> got = new HashMap<>();
    Progress progress = progressOut == null ? null : new Progress("query results", ids.size(), progressOut);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (got.size() < ids.size() && System.nanoTime() < deadline) {
      for (ConsumerRecord<String, QueryResult> r : consumer.poll(Duration.ofMillis(100))) {
        if (ids.contains(r.key())) {
          got.put(r.key(), r.value());
        }
      }
      if (progress != null) {
        progress.set(got.size());
      }
    }
    if (progress != null) {
      progress.finish();
    }
    return got;
  }

  @Override
  public void close() {
    producer.close();
    consumer.close();
  }
}
