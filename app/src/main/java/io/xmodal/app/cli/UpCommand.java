package io.xmodal.app.cli;

import io.xmodal.app.dataset.Split;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.runtime.EmbeddedRuntime;
import io.xmodal.platform.runtime.Rss;
import io.xmodal.platform.streams.StreamsService;
import io.xmodal.platform.topics.TopicSpec;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Collectors;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "up", mixinStandardHelpOptions = true,
    description = {
        "Start xmodal and keep it running until Ctrl-C.",
        "Without KAFKA_BOOTSTRAP_SERVERS it starts a single-node KRaft broker and an Apicurio schema registry "
            + "(data under XMODAL_WORK_DIR, default ./work; a second 'up' resumes on the same data), creates the "
            + "topics, and runs all four services (ingest, encode-stream, mapping-trainer, query-stream). With "
            + "KAFKA_BOOTSTRAP_SERVERS and XMODAL_REGISTRY_URL it runs against that cluster instead."})
final class UpCommand implements Callable<Integer> {

  @Option(names = "--ingest-split", paramLabel = "SPLIT",
      description = "Once up, publish this Flickr8k split (train, dev, test, all) and report what ingest made of it.")
  Split ingestSplit;

  @Option(names = "--dataset-path", paramLabel = "DIR",
      description = "Flickr8k folder for --ingest-split (default: XMODAL_SHARED_DIR/datasets/flickr8k).")
  Path datasetPath;

  @Option(names = "--limit", paramLabel = "N", defaultValue = "0",
      description = "With --ingest-split: at most N images (with their captions); 0 means all.")
  int limit;

  @Override
  public Integer call() throws Exception {
    PrintStream out = System.out;
    ConfigSource source = ConfigSource.fromEnvironment();
    long t0 = System.nanoTime();
    Stack stack = Stack.start(source, java.util.EnumSet.allOf(Stack.Service.class),
        waiting -> out.println(waiting.isEmpty() ? "  ready" : "  " + waiting));
    double seconds = (System.nanoTime() - t0) / 1e9;
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      out.println("\nstopping xmodal…");
      stack.close();
      out.println("stopped.");
      stopped.countDown();
    }, "xmodal-shutdown"));
    printWhereEverythingIs(out, stack, seconds);
    // from now on, every change of a service's state or of what it waits for (a dependency that went away, a topic
    // that is missing) is one line
    for (StreamsService s : stack.services()) {
      s.onStatusChange(status -> out.printf("%s  %s%n", java.time.LocalTime.now().withNano(0), status));
    }
    if (ingestSplit != null) {
      Path dir = datasetPath != null ? datasetPath
          : stack.config().sharedDir().resolve("datasets").resolve("flickr8k");
      IngestCommand.publishAndFollow(stack.config(), stack.topics(), IngestCommand.loadFlickr8k(dir, ingestSplit, limit),
          true, java.time.Duration.ofMinutes(30), out);
    }
    out.println("xmodal is up. Ctrl-C stops everything.");
    stopped.await();
    return 0;
  }

  private static void printWhereEverythingIs(PrintStream out, Stack stack, double seconds) {
    out.printf("xmodal up in %.1f s%n", seconds);
    if (stack.runtime().isPresent()) {
      EmbeddedRuntime r = stack.runtime().get();
      out.printf("  Kafka broker      %s  (KRaft, single node%s; data in %s)%n", r.bootstrapServers(),
          stack.config().embedded().sasl().map(u -> ", SASL_PLAINTEXT/SCRAM-SHA-256 as " + u.user()).orElse(""),
          stack.config().workDir().resolve("kafka"));
      out.printf("  Schema registry   %s  (Apicurio API %s, Confluent-compatible API %s)%n", r.registry().root(),
          "/apis/registry/v2", "/apis/ccompat/v7");
      out.printf("  Logs              %s%n", stack.config().workDir().resolve("logs"));
      out.printf("  Memory (RSS)      launcher %s, broker %s, registry %s%n", Rss.format(Rss.self()),
          Rss.format(r.broker().process().rssBytes()), Rss.format(r.registry().process().rssBytes()));
    } else {
      out.printf("  Kafka cluster     %s%n", stack.config().requireBootstrap());
      out.printf("  Schema registry   %s%n", stack.config().requireRegistryUrl());
    }
    out.printf("  Topics            %s (%d partitions)%s%n",
        stack.topics().all().stream().map(TopicSpec::name).collect(Collectors.joining(", ")),
        stack.config().topics().partitions(),
        stack.createdTopics().isEmpty() ? "" : ", " + stack.createdTopics().size() + " created now");
    for (StreamsService s : stack.services()) {
      out.printf("  Service           %s%n", s.status());
    }
    stack.encoders().ifPresent(e -> out.printf("  Encoders          %s (%d-d) and %s (%d-d) on %s%n", e.text().info().name(),
        e.text().info().dimension(), e.image().info().name(), e.image().info().dimension(), e.image().device()));
    out.println("  Publish data with './xmodal ingest --dataset flickr8k --path "
        + stack.config().sharedDir().resolve("datasets").resolve("flickr8k") + " --split dev' in another terminal.");
  }
}
