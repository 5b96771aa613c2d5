package io.xmodal.app.cli;

import io.xmodal.client.mapping.MappingHistory;
import io.xmodal.platform.config.ConfigException;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.serde.RegistryAvroSerdes;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.schemas.MappingModel;
import io.xmodal.tools.stack.Endpoints;
import java.io.PrintStream;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "mapping", mixinStandardHelpOptions = true,
    description = "List the published mapping versions with their held-out recall, or roll back to an earlier one.",
    subcommands = {MappingCommand.ListVersions.class, MappingCommand.Rollback.class})
final class MappingCommand {

  /** Every version in xmodal.mappings, read from the start; the newest per name is live. */
  static List<MappingModel> versions(PlatformConfig config, TopicCatalogue topics) {
    return MappingHistory.read(config, topics);
  }

  static TopicCatalogue topics(PlatformConfig config) {
    return TopicCatalogue.create(config.topics(), RegistryAvroSerdes.of(config));
  }

  @Command(name = "list", mixinStandardHelpOptions = true, description = "Show every published version.")
  static final class ListVersions implements Callable<Integer> {

    @Option(names = "--name", description = "Only this mapping (default: all).")
    String name;

    @Override
    public Integer call() {
      PlatformConfig config = Endpoints.resolve(PlatformConfig.from(ConfigSource.fromEnvironment()));
      List<MappingModel> all = versions(config, topics(config));
      PrintStream out = System.out;
      if (all.isEmpty()) {
        out.println("no mapping published yet (the trainer publishes one once it has enough pairs)");
        return 0;
      }
      Map<String, Long> live = new HashMap<>();
      all.forEach(m -> live.merge(m.getName(), m.getVersion(), Math::max));
      out.printf("%-10s %5s %-4s %-20s %-50s %7s %7s %7s %7s %6s%n", "name", "ver", "", "created", "method",
          "pairs", "T2I@10", "I2T@10", "rsum", "parent");
      for (MappingModel m : all) {
        if (name != null && !name.equals(m.getName())) {
          continue;
        }
        Map<String, Double> h = m.getHeldOutMetrics();
        out.printf("%-10s %5d %-4s %-20s %-50s %7d %7.1f %7.1f %7.1f %6s%n", m.getName(), m.getVersion(),
            live.get(m.getName()).longValue() == m.getVersion() ? "live" : "", m.getCreatedAt().toString().substring(0, 19),
            m.getMethod() + " " + m.getVariant() + scoring(m.getScoring()), m.getPairsUsed(),
            h.getOrDefault("t2i.r10", Double.NaN), h.getOrDefault("i2t.r10", Double.NaN),
            h.getOrDefault("rsum", Double.NaN), m.getParentVersion() == null ? "-" : m.getParentVersion().toString());
      }
      return 0;
    }

    private static String scoring(String s) {
      return s == null || s.equals("cosine") ? "" : " +" + s;
    }
  }

  @Command(name = "rollback", mixinStandardHelpOptions = true,
      description = "Re-publish an earlier version as the newest one (its parent is the version rolled back to).")
  static final class Rollback implements Callable<Integer> {

    @Option(names = "--to", required = true, paramLabel = "VERSION", description = "The version to make live again.")
    long to;

    @Option(names = "--name", defaultValue = "default", description = "The mapping (default ${DEFAULT-VALUE}).")
    String name;

    @Override
    public Integer call() throws Exception {
      PlatformConfig config = Endpoints.resolve(PlatformConfig.from(ConfigSource.fromEnvironment()));
      MappingModel copy = rollback(config, topics(config), name, to);
      System.out.printf("published %s v%d: a copy of v%d (%s %s)%n", name, copy.getVersion(), to, copy.getMethod(),
          copy.getVariant());
      return 0;
    }
  }

  /** Publishes a copy of version {@code to} of {@code name} as the newest version; returns it. */
  static MappingModel rollback(PlatformConfig config, TopicCatalogue topics, String name, long to) throws Exception {
    {
      List<MappingModel> all = versions(config, topics).stream().filter(m -> m.getName().equals(name)).toList();
      MappingModel target = all.stream().filter(m -> m.getVersion() == to).findFirst().orElseThrow(() ->
          new ConfigException("mapping '" + name + "' has no version " + to + " (versions: "
              + all.stream().map(m -> Long.toString(m.getVersion())).toList() + "); see './xmodal mapping list'"));
      long next = all.stream().mapToLong(MappingModel::getVersion).max().orElse(0) + 1;
      MappingModel copy = MappingModel.newBuilder(target).setVersion(next).setParentVersion(to)
          .setCreatedAt(Instant.now()).build();
      Map<String, Object> props = new HashMap<>(config.producerConfig());
      try (KafkaProducer<String, MappingModel> producer = new KafkaProducer<>(props, new StringSerializer(),
          topics.mappings().valueSerde().serializer())) {
        producer.send(new ProducerRecord<>(topics.mappings().name(), name, copy)).get();
      }
      return copy;
    }
  }
}
