package io.xmodal.app.cli;

import io.xmodal.platform.config.ConfigSource;
import io.xmodal.tools.chaos.ChaosRun;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "chaos", mixinStandardHelpOptions = true,
    description = {
        "Kill processes of a running cluster while data flows, and count what was lost or duplicated.",
        "Starts its own cluster under XMODAL_WORK_DIR/chaos/ on free ports: --brokers KRaft nodes (replication 3, "
            + "min.insync.replicas 2 from 3 nodes), the registry, and --instances JVMs of each of the four services "
            + "('xmodal service NAME'). It publishes the dev split (images with their captions, paced) and --queries "
            + "text queries, and while they flow kills (SIGKILL) one instance of encode-stream, one of "
            + "mapping-trainer, one of query-stream and one broker node, each at a moment drawn from the seed, and "
            + "restarts each a few seconds later. Then it reads every output topic with isolation.level="
            + "read_committed and prints, per stage, inputs, outputs, lost, duplicated (by key) and dead letters, and "
            + "for every kill when it happened, when the process was back and when the stage's output resumed.",
        "The last line is 'chaos: inputs N lost L duplicated D kills K seed S'. Exit code 0 only if nothing was lost "
            + "or duplicated."})
final class ChaosCommand implements Callable<Integer> {

  @Option(names = "--seed", paramLabel = "S", description = "The seed of the kill moments (default: a random one, "
      + "printed).")
  Long seed;

  @Option(names = "--images", defaultValue = "0", paramLabel = "N",
      description = "At most N dev images (with their captions); 0 means all 1,000 (default).")
  int images;

  @Option(names = "--queries", defaultValue = "2000", paramLabel = "Q",
      description = "Text queries to send (default ${DEFAULT-VALUE}).")
  int queries;

  @Option(names = "--brokers", defaultValue = "3", paramLabel = "N",
      description = "KRaft nodes (default ${DEFAULT-VALUE}; one is killed, so at least 3).")
  int brokers;

  @Option(names = "--instances", defaultValue = "2", paramLabel = "N",
      description = "JVMs per service (default ${DEFAULT-VALUE}; at least 2, so that one survives each kill).")
  int instances;

  @Option(names = "--rate", defaultValue = "10", paramLabel = "IMAGES_PER_S",
      description = "Images published per second, each with its captions (default ${DEFAULT-VALUE}).")
  double rate;

  @Option(names = "--query-rate", defaultValue = "20", paramLabel = "PER_S",
      description = "Queries sent per second (default ${DEFAULT-VALUE}).")
  double queryRate;

  @Option(names = "--standby-replicas", defaultValue = "1", paramLabel = "N",
      description = "num.standby.replicas of every service (default ${DEFAULT-VALUE}): a warm copy of each task's "
          + "state on another instance, so a task moves without restoring its changelog.")
  int standbys;

  @Option(names = "--timeout", defaultValue = "PT40M", paramLabel = "DURATION",
      description = "Longest wait for the pipeline to deliver everything, ISO-8601 (default ${DEFAULT-VALUE}).")
  Duration timeout;

  @Option(names = "--dataset-path", paramLabel = "DIR",
      description = "Flickr8k folder (default: XMODAL_SHARED_DIR/datasets/flickr8k).")
  Path datasetPath;

  @Option(names = "--keep", description = "Keep the run's work folder (broker data, logs) instead of deleting it.")
  boolean keep;

  @Override
  public Integer call() throws Exception {
    long s = seed != null ? seed : new Random().nextLong() & Long.MAX_VALUE;
    ChaosRun.Options o = new ChaosRun.Options(s, images, queries, brokers, instances, rate, queryRate, standbys,
        timeout, datasetPath, keep);
    ChaosRun.Result r = ChaosRun.run(ConfigSource.fromEnvironment(), o, System.out);
    return r.lost() == 0 && r.duplicated() == 0 ? 0 : 1;
  }
}
