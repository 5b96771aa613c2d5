package io.xmodal.app.cli;

import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.process.Folders;
import io.xmodal.platform.process.Ports;
import io.xmodal.platform.streams.StreamsService;
import io.xmodal.tools.fuzz.FuzzInputs;
import io.xmodal.tools.fuzz.FuzzReconciler;
import io.xmodal.tools.stack.Stack;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "fuzz", mixinStandardHelpOptions = true,
    description = {
        "Publish a seeded mix of hostile and valid input and account for every record.",
        "Starts its own stack (all four services; the embedded broker and registry on free ports under "
            + "XMODAL_WORK_DIR/fuzz/, or the cluster named by KAFKA_BOOTSTRAP_SERVERS), publishes N records of "
            + "28 kinds (corrupt, truncated, oversized and bomb images, invalid UTF-8, huge and blank captions, wrong "
            + "and missing ids, poison pills, foreign schema ids, records of the wrong type on raw, query and "
            + "embeddings topics, tombstones, URIs outside the root and through links, exact re-sends) between "
            + "valid ones, then reconciles each input by its source offset against the clean topics, the dead "
            + "letters and the counted duplicates (read_committed).",
        "Prints a table per kind; the last line is 'fuzz: inputs N accounted A lost L thread-deaths T seed S'. "
            + "Exit code 0 only if nothing was lost, nothing ended elsewhere than expected and no stream thread "
            + "died."})
final class FuzzCommand implements Callable<Integer> {

  @Option(names = "--records", defaultValue = "500", paramLabel = "N",
      description = "How many records to publish (default ${DEFAULT-VALUE}; every kind appears once from 28).")
  int records;

  @Option(names = "--seed", paramLabel = "S", description = "The seed (default: a random one, printed).")
  Long seed;

  @Option(names = "--timeout", defaultValue = "PT10M", paramLabel = "DURATION",
      description = "How long to wait for the pipeline to account for every record, ISO-8601 "
          + "(default ${DEFAULT-VALUE}).")
  Duration timeout;

  @Option(names = "--keep", description = "Keep the run's work folder (broker data, logs) instead of deleting it.")
  boolean keep;

  @Override
  public Integer call() throws Exception {
    long s = seed != null ? seed : new Random().nextLong() & Long.MAX_VALUE;
    Result r = run(ConfigSource.fromEnvironment(), records, s, timeout, keep, System.out);
    return r.lost() == 0 && r.unexpected() == 0 && r.threadDeaths() == 0 ? 0 : 1;
  }

  /** What a run found. */
  record Result(long inputs, long accounted, long lost, long unexpected, int threadDeaths, long seed) {}

  static Result run(ConfigSource environment, int records, long seed, Duration timeout, boolean keep,
                    PrintStream out) throws Exception {
    out.printf("fuzz: seed %d, %d records%n", seed, records);
    Path base = environment.path("XMODAL_WORK_DIR", Path.of("work")).toAbsolutePath().normalize();
    Path dir = base.resolve("fuzz").resolve(seed + "-" + System.currentTimeMillis());
    Path uploads = Files.createDirectories(dir.resolve("uploads"));
    Path outside = Files.createDirectories(dir.resolve("outside")).resolve("private.jpg");
    Map<String, String> overrides = new HashMap<>();
    overrides.put("XMODAL_WORK_DIR", dir.toString());
    overrides.put("XMODAL_INGEST_URI_ROOT", uploads.toString());
    overrides.put("XMODAL_METRICS_INTERVAL", "1s");
    if (environment.get("XMODAL_INGEST_MAX_IMAGE_BYTES").isEmpty()) {
      overrides.put("XMODAL_INGEST_MAX_IMAGE_BYTES", Integer.toString(1024 * 1024));
    }
    if (environment.get("KAFKA_BOOTSTRAP_SERVERS").isEmpty()) {
      // its own embedded broker and registry, beside a './xmodal up' that may be running
      overrides.put("XMODAL_BROKER_PORT", Integer.toString(Ports.freePort()));
      overrides.put("XMODAL_CONTROLLER_PORT", Integer.toString(Ports.freePort()));
      overrides.put("XMODAL_REGISTRY_PORT", Integer.toString(Ports.freePort()));
    }
    ConfigSource source = environment.with(overrides);
    try (Stack stack = Stack.start(source)) {
      List<byte[]> jpegs = jpegs(stack.config().sharedDir().resolve("datasets").resolve("flickr8k")
          .resolve("images"), seed);
      Files.write(outside, jpegs.isEmpty() ? new byte[] {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF} : jpegs.get(0));
      long maxImageBytes = source.longValue("XMODAL_INGEST_MAX_IMAGE_BYTES", 5L * 1024 * 1024);
      List<FuzzInputs.Input> inputs = new FuzzInputs(stack.topics(), seed, jpegs, uploads, outside, maxImageBytes)
          .generate(records);
      FuzzReconciler.Report report;
      try (FuzzReconciler reconciler = FuzzReconciler.start(stack.config(), stack.topics())) {
        reconciler.publish(inputs, out);
        report = reconciler.await(timeout, out);
      }
      int deaths = stack.services().stream().mapToInt(StreamsService::threadDeaths).sum();
      FuzzReconciler.printTable(report, out);
      for (StreamsService s : stack.services()) {
        if (s.threadDeaths() > 0) {
          out.printf("service %s: %d stream thread(s) died (see %s)%n", s.name(), s.threadDeaths(),
              dir.resolve("logs"));
        }
      }
      out.printf("fuzz: inputs %d accounted %d lost %d thread-deaths %d seed %d%n", report.inputs().size(),
          report.accounted(), report.lost(), deaths, seed);
      return new Result(report.inputs().size(), report.accounted(), report.lost(), report.unexpected(), deaths, seed);
    } finally {
      if (!keep) {
        Folders.deleteQuietly(dir);
      }
    }
  }

  /** Up to 64 real JPEGs, chosen by the seed; none if the folder is missing (drawn PNGs are used instead). */
  private static List<byte[]> jpegs(Path folder, long seed) throws IOException {
    if (!Files.isDirectory(folder)) {
      return List.of();
    }
    List<Path> all;
    try (Stream<Path> files = Files.list(folder)) {
      all = new ArrayList<>(files.filter(p -> p.getFileName().toString().endsWith(".jpg")).sorted().toList());
    }
    Collections.shuffle(all, new Random(seed));
    List<byte[]> out = new ArrayList<>();
    for (Path p : all.subList(0, Math.min(64, all.size()))) {
      out.add(Files.readAllBytes(p));
    }
    return out;
  }
}
