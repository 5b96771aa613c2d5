package io.xmodal.app.cli;

import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.schemas.MetricEvent;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndTimestamp;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "metrics", mixinStandardHelpOptions = true,
    description = {
        "Show the latest value of every metric series on xmodal.metrics as a table; --follow keeps it live.",
        "Series are a metric name with its tags (partition and task tags are summed or averaged away)."})
final class MetricsCommand implements Callable<Integer> {

  @Option(names = {"-f", "--follow"}, description = "Redraw every --every until Ctrl-C.")
  boolean follow;

  @Option(names = "--every", defaultValue = "PT2S", description = "Redraw interval (default ${DEFAULT-VALUE}).")
  Duration every;

  @Option(names = "--since", defaultValue = "PT10M", description = "Start this far back (default ${DEFAULT-VALUE}).")
  Duration since;

  @Option(names = "--filter", paramLabel = "PREFIX", description = "Only metrics whose name starts with this.")
  String filter;

  @Option(names = "--candidates", description = "Also show every mapping candidate's held-out recall.")
  boolean candidates;

  /** Latest event per (series, partition/task); rendered by summing counts and averaging the rest. */
  private final Map<String, MetricEvent> latest = new HashMap<>();

  @Override
  public Integer call() throws Exception {
    PlatformConfig config = Endpoints.resolve(PlatformConfig.from(ConfigSource.fromEnvironment()));
    TopicCatalogue topics = MappingCommand.topics(config);
    PrintStream out = System.out;
    boolean tty = System.console() != null;
    try (KafkaConsumer<String, MetricEvent> consumer = new KafkaConsumer<>(config.consumerConfig(),
        new StringDeserializer(), topics.metrics().valueSerde().deserializer())) {
      List<TopicPartition> parts = consumer.partitionsFor(topics.metrics().name(), Duration.ofSeconds(30)).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      consumer.assign(parts);
      long from = Instant.now().minus(since).toEpochMilli();
      Map<TopicPartition, OffsetAndTimestamp> starts = consumer.offsetsForTimes(
          parts.stream().collect(Collectors.toMap(p -> p, p -> from)));
      for (TopicPartition p : parts) {
        OffsetAndTimestamp o = starts.get(p);
        if (o == null) {
          consumer.seekToEnd(List.of(p));
        } else {
          consumer.seek(p, o.offset());
        }
      }
      Map<TopicPartition, Long> end = consumer.endOffsets(parts);
      while (parts.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        consumer.poll(Duration.ofMillis(300)).forEach(r -> take(r.value()));
      }
      render(out, tty && follow);
      while (follow) {
        long until = System.nanoTime() + every.toNanos();
        while (System.nanoTime() < until) {
          consumer.poll(Duration.ofMillis(200)).forEach(r -> take(r.value()));
        }
        render(out, tty);
      }
    }
    return 0;
  }

  private void take(MetricEvent m) {
    if (m == null || (filter != null && !m.getName().startsWith(filter))) {
      return;
    }
    if (!candidates && m.getName().startsWith("mapping.heldout.") && !"true".equals(m.getTags().get("promoted"))) {
      return;
    }
    latest.put(m.getName() + seriesTags(m) + "|" + m.getTags().getOrDefault("partition", "")
        + m.getTags().getOrDefault("task", ""), m);
  }

  private static String seriesTags(MetricEvent m) {
    return new TreeMap<>(m.getTags()).entrySet().stream()
        .filter(e -> !e.getKey().equals("partition") && !e.getKey().equals("task") && !e.getKey().equals("service"))
        .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(",", "{", "}"));
  }

  private void render(PrintStream out, boolean clear) {
    Map<String, double[]> series = new TreeMap<>();
    Map<String, MetricEvent> sample = new HashMap<>();
    for (MetricEvent m : latest.values()) {
      String key = m.getName() + " " + seriesTags(m);
      double[] agg = series.computeIfAbsent(key, k -> new double[3]);
      agg[0] += m.getValue();
      agg[1]++;
      agg[2] = Math.max(agg[2], m.getTime().toEpochMilli());
      sample.put(key, m);
    }
    StringBuilder sb = new StringBuilder();
    if (clear) {
      sb.append("\033[H\033[2J");
    }
    sb.append(String.format("xmodal metrics at %s (%d series)%n", Instant.now().toString().substring(11, 19),
        series.size()));
    sb.append(String.format("%-34s %-46s %14s %-10s %6s%n", "metric", "tags", "value", "unit", "age s"));
    long now = System.currentTimeMillis();
    series.forEach((key, agg) -> {
      MetricEvent m = sample.get(key);
      boolean additive = m.getUnit().equals("records") || m.getUnit().equals("queries") || m.getUnit().equals("items")
          && !m.getName().startsWith("gallery.") || m.getUnit().equals("queries/s") || m.getUnit().equals("pairs");
      double value = additive ? agg[0] : agg[0] / agg[1];
      String tags = seriesTags(m);
      sb.append(String.format("%-34s %-46s %14.2f %-10s %6.0f%n", m.getName(),
          tags.length() > 46 ? tags.substring(0, 43) + "..." : tags, value, m.getUnit(), (now - agg[2]) / 1000.0));
    });
    out.print(sb);
    out.flush();
  }
}
