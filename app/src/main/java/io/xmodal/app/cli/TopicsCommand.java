package io.xmodal.app.cli;

import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.health.Dependencies;
import io.xmodal.platform.streams.ServiceRunner;
import io.xmodal.platform.topics.TopicSpec;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "topics", mixinStandardHelpOptions = true,
    description = "The topic catalogue on an existing cluster (KAFKA_BOOTSTRAP_SERVERS, XMODAL_REGISTRY_URL).",
    subcommands = {TopicsCommand.Create.class})
final class TopicsCommand {

  @Command(name = "create", mixinStandardHelpOptions = true,
      description = {
          "Wait for the broker and the schema registry, create every xmodal topic that does not exist yet "
              + "(XMODAL_TOPIC_PREFIX, XMODAL_PARTITIONS, XMODAL_REPLICATION_FACTOR), register the event schemas "
              + "(their documented .avsc text), set the FULL_TRANSITIVE compatibility rule on the subjects producers "
              + "write (docs/producers.md), then exit 0. Existing topics are left as they are, so it is safe to run "
              + "again.",
          "A deployment's topic-init step: the services then start with XMODAL_CREATE_TOPICS=false."})
  static final class Create implements Callable<Integer> {

    @Option(names = "--timeout", paramLabel = "DURATION", defaultValue = "PT5M",
        description = "Give up (exit code 2) if the broker or the registry does not answer within this long "
            + "(default ${DEFAULT-VALUE}).")
    Duration timeout;

    @Override
    public Integer call() throws InterruptedException {
      PlatformConfig config = PlatformConfig.from(ConfigSource.fromEnvironment());
      config.requireBootstrap();
      config.requireRegistryUrl();
      ServiceRunner.Prepared prepared = ServiceRunner.prepare(config, true, Dependencies.Wait.upTo(timeout));
      report(prepared, System.out);
      return 0;
    }

    static void report(ServiceRunner.Prepared prepared, PrintStream out) {
      List<String> all = prepared.topics().all().stream().map(TopicSpec::name).toList();
      List<String> created = prepared.createdTopics();
      out.printf("topics: %d created, %d already there (%s)%n", created.size(), all.size() - created.size(),
          String.join(", ", all));
    }
  }
}
