package io.xmodal.app.cli;

import io.xmodal.client.dataset.Flickr8k;
import io.xmodal.client.dataset.Split;
import io.xmodal.embedded.EmbeddedRuntime;
import io.xmodal.platform.config.ConfigException;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.process.GracefulStop;
import io.xmodal.platform.process.Rss;
import io.xmodal.platform.streams.StreamsService;
import io.xmodal.platform.topics.TopicSpec;
import io.xmodal.tools.stack.ProcessStack;
import io.xmodal.tools.stack.Stack;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.util.EnumSet;
import java.util.OptionalLong;
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
            + "KAFKA_BOOTSTRAP_SERVERS and XMODAL_REGISTRY_URL it runs against that cluster instead.",
        "Cluster mode: '--brokers 3 --instances 2' starts three KRaft nodes and runs every service as two child JVMs "
            + "('xmodal service NAME'), printing each process with its PID and role; a child that dies is reported "
            + "(and restarted with --restart). Ctrl-C stops every process."})
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

  @Option(names = "--brokers", paramLabel = "N", defaultValue = "1",
      description = "Start an embedded KRaft cluster of N nodes (each broker and controller; node i listens on "
          + "XMODAL_BROKER_PORT+2(i-1) and XMODAL_CONTROLLER_PORT+2(i-1), data in XMODAL_WORK_DIR/kafka-cluster-N) "
          + "instead of one broker. Topics and Streams internal topics get min(N,3) replicas (unless "
          + "XMODAL_REPLICATION_FACTOR says otherwise), min.insync.replicas=2 from 3. Default: ${DEFAULT-VALUE}.")
  int brokers;

  @Option(names = "--instances", paramLabel = "N", defaultValue = "0",
      description = "Run each service as N child JVMs ('xmodal service NAME', work dir XMODAL_WORK_DIR/instances/"
          + "SERVICE-I, log XMODAL_WORK_DIR/logs/SERVICE-I.log) instead of in this JVM. Default: 0, in this JVM.")
  int instances;

  @Option(names = "--restart",
      description = "With --instances: restart a child (broker node or service instance) that dies. Without it, a "
          + "death is only reported.")
  boolean restart;

  @Override
  public Integer call() throws Exception {
    if (brokers < 1 || instances < 0) {
      throw new ConfigException("--brokers must be at least 1 and --instances at least 0");
    }
    if (instances > 0) {
      return callProcesses();
    }
    PrintStream out = System.out;
    ConfigSource source = ConfigSource.fromEnvironment();
    long t0 = System.nanoTime();
    Stack stack = Stack.start(source, EnumSet.allOf(Stack.Service.class),
        waiting -> out.println(waiting.isEmpty() ? "  ready" : "  " + waiting), brokers);
    double seconds = (System.nanoTime() - t0) / 1e9;
    CountDownLatch stopped = new CountDownLatch(1);
    GracefulStop.install("xmodal-shutdown", () -> {
      out.println("\nstopping xmodal…");
      stack.close();
      out.println("stopped.");
      stopped.countDown();
    });
    printWhereEverythingIs(out, stack, seconds);
    // from now on, every change of a service's state or of what it waits for (a dependency that went away, a topic
    // that is missing) is one line
    for (StreamsService s : stack.services()) {
      s.onStatusChange(status -> out.printf("%s  %s%n", LocalTime.now().withNano(0), status));
    }
    if (ingestSplit != null) {
      Path dir = datasetPath != null ? datasetPath
          : stack.config().sharedDir().resolve("datasets").resolve("flickr8k");
      IngestCommand.publishAndFollow(stack.config(), stack.topics(), Flickr8k.load(dir, ingestSplit, limit),
          true, Duration.ofMinutes(30), out);
    }
    out.println("xmodal is up. Ctrl-C stops everything.");
    stopped.await();
    return 0;
  }

  /** Cluster mode: every service as {@link #instances} child JVMs ({@link ProcessStack}). */
  private int callProcesses() throws Exception {
    PrintStream out = System.out;
    ConfigSource source = ConfigSource.fromEnvironment();
    long t0 = System.nanoTime();
    out.printf("starting %d broker node%s, the registry and %d instance%s of each service…%n", brokers,
        brokers == 1 ? "" : "s", instances, instances == 1 ? "" : "s");
    ProcessStack stack = ProcessStack.start(source, EnumSet.allOf(Stack.Service.class), brokers, instances,
        restart, waiting -> out.println(waiting.isEmpty() ? "  ready" : "  " + waiting),
        event -> out.printf("%s  %s%n", LocalTime.now().withNano(0), event));
    double seconds = (System.nanoTime() - t0) / 1e9;
    CountDownLatch stopped = new CountDownLatch(1);
    GracefulStop.install("xmodal-shutdown", () -> {
      out.println("\nstopping xmodal (every process)…");
      stack.close();
      out.println("stopped.");
      stopped.countDown();
    });
    out.printf("xmodal up in %.1f s%n", seconds);
    stack.runtime().ifPresentOrElse(
        r -> out.printf("  Kafka cluster     %s  (KRaft, %d node%s, replication factor %d%s)%n", r.bootstrapServers(),
            brokers, brokers == 1 ? "" : "s", stack.config().topics().replication(),
            stack.config().topics().replication() >= 3 ? ", min.insync.replicas "
                + stack.config().topics().minInsyncReplicas() : ""),
        () -> out.printf("  Kafka cluster     %s%n", stack.config().requireBootstrap()));
    out.printf("  Schema registry   %s%n", stack.config().requireRegistryUrl());
    out.printf("  Logs              %s%n", stack.config().workDir().resolve("logs"));
    out.printf("  %-17s %8s  %9s  %s%n", "role", "pid", "RSS", "log");
    long total = Rss.self().orElse(0);
    out.printf("  %-17s %8d  %9s%n", "launcher", ProcessHandle.current().pid(), Rss.format(Rss.self()));
    for (ProcessStack.Member m : stack.members()) {
      OptionalLong rss = m.process().rssBytes();
      total += rss.orElse(0);
      out.printf("  %-17s %8d  %9s  %s%n", m.role(), m.process().pid(), Rss.format(rss), m.process().logFile());
    }
    out.printf("  Memory (RSS)      %s in all %d processes%n", Rss.format(OptionalLong.of(total)),
        stack.members().size() + 1);
    out.println("  A child that exits is reported here" + (restart ? " and restarted." : "; --restart restarts it."));
    if (ingestSplit != null) {
      Path dir = datasetPath != null ? datasetPath
          : stack.config().sharedDir().resolve("datasets").resolve("flickr8k");
      IngestCommand.publishAndFollow(stack.config(), stack.topics(), Flickr8k.load(dir, ingestSplit, limit),
          true, Duration.ofMinutes(30), out);
    }
    out.println("xmodal is up. Ctrl-C stops everything.");
    stopped.await();
    return 0;
  }

  private static void printWhereEverythingIs(PrintStream out, Stack stack, double seconds) {
    out.printf("xmodal up in %.1f s%n", seconds);
    if (stack.runtime().isPresent()) {
      EmbeddedRuntime r = stack.runtime().get();
      out.printf("  Kafka broker      %s  (KRaft, %s%s; data in %s)%n", r.bootstrapServers(),
          r.cluster().size() == 1 ? "single node" : r.cluster().size() + " nodes",
          stack.config().embedded().sasl().map(u -> ", SASL_PLAINTEXT/SCRAM-SHA-256 as " + u.user()).orElse(""),
          r.cluster().size() == 1 ? r.broker().node().dir() : r.broker().node().dir().getParent());
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
    stack.encoders().ifPresent(e -> out.printf("  Encoders          %s%n", e.describe()));
    out.println("  Publish data with './xmodal ingest --dataset flickr8k --path "
        + stack.config().sharedDir().resolve("datasets").resolve("flickr8k") + " --split dev' in another terminal.");
  }
}
