package io.xmodal.app.cli;

import io.xmodal.client.dataset.Dataset;
import io.xmodal.client.dataset.Flickr8k;
import io.xmodal.client.dataset.FolderDataset;
import io.xmodal.client.dataset.Split;
import io.xmodal.client.publish.DatasetPublisher;
import io.xmodal.client.publish.IngestAccounting;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.serde.RegistryAvroSerdes;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.tools.stack.Endpoints;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(name = "ingest", mixinStandardHelpOptions = true,
    description = {
        "Publish a dataset (Flickr8k or a folder) to the raw topics and follow the ingest pipeline.",
        "Images go to xmodal.images.raw and captions to xmodal.captions.raw, as a producer would; then it waits until "
            + "every record is accepted, rejected or counted as a duplicate. Talks to the running './xmodal up', or "
            + "to KAFKA_BOOTSTRAP_SERVERS + XMODAL_REGISTRY_URL."})
final class IngestCommand implements Callable<Integer> {

  enum Kind { FLICKR8K, FOLDER }

  @Spec
  CommandSpec spec;

  @Option(names = "--dataset", defaultValue = "flickr8k", paramLabel = "KIND",
      description = "flickr8k (images/, Flickr8k.token.txt, Flickr_8k.<split>Images.txt) or folder (images + "
          + "--captions CSV/JSONL). Default: ${DEFAULT-VALUE}.")
  String dataset;

  @Option(names = "--path", paramLabel = "DIR",
      description = "The dataset folder (default for flickr8k: XMODAL_SHARED_DIR/datasets/flickr8k).")
  Path path;

  @Option(names = "--split", defaultValue = "all", paramLabel = "SPLIT",
      description = "flickr8k split: train, dev, test or all (the splits whose file is present). Default: ${DEFAULT-VALUE}.")
  String split;

  @Option(names = "--captions", paramLabel = "FILE",
      description = "folder mode: captions as CSV (header with image,caption[,caption_id]) or JSONL "
          + "({\"image\":…,\"caption\":…}).")
  Path captions;

  @Option(names = "--limit", defaultValue = "0", paramLabel = "N",
      description = "At most N images (with their captions); 0 means all.")
  int limit;

  @Option(names = "--wait", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Follow the pipeline until every record is accounted for (default). --no-wait only publishes.")
  boolean await;

  @Option(names = "--timeout", defaultValue = "PT30M", paramLabel = "DURATION",
      description = "How long --wait waits, ISO-8601 (default ${DEFAULT-VALUE}).")
  Duration timeout;

  @Override
  public Integer call() {
    ConfigSource source = ConfigSource.fromEnvironment();
    PlatformConfig config = Endpoints.resolve(PlatformConfig.from(source));
    Dataset data = switch (kind()) {
      case FLICKR8K -> Flickr8k.load(path != null ? path : config.sharedDir().resolve("datasets").resolve("flickr8k"),
          split(), limit);
      case FOLDER -> {
        if (path == null || captions == null) {
          throw new ParameterException(spec.commandLine(), "--dataset folder needs --path DIR and --captions FILE");
        }
        yield FolderDataset.load(path, captions, limit);
      }
    };
    TopicCatalogue topics = TopicCatalogue.create(config.topics(), RegistryAvroSerdes.of(config));
    publishAndFollow(config, topics, data, await, timeout, System.out);
    return 0;
  }

  private Kind kind() {
    try {
      return Kind.valueOf(dataset.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--dataset must be flickr8k or folder, got '" + dataset + "'");
    }
  }

  private Split split() {
    try {
      return Split.valueOf(split.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--split must be train, dev, test or all, got '" + split + "'");
    }
  }

  /** Publishes, then (if asked) follows the pipeline; prints a summary line for each. */
  static void publishAndFollow(PlatformConfig config, TopicCatalogue topics, Dataset data, boolean follow,
                               Duration timeout, PrintStream out) {
    out.printf("publishing %s: %d images, %d captions%n", data.name(), data.images().size(), data.captions().size());
    try (IngestAccounting accounting = follow ? IngestAccounting.start(config, topics) : null) {
      long t0 = System.nanoTime();
      DatasetPublisher.Report sent = new DatasetPublisher(config, topics).publish(data, out);
      out.printf("published %d images and %d captions (%.1f MiB) in %.1f s (%.0f records/s)%n", sent.images(),
          sent.captions(), sent.imageBytes() / 1048576.0, sent.seconds(), sent.records() / sent.seconds());
      if (accounting == null) {
        return;
      }
      IngestAccounting.Summary s = accounting.awaitAccounted(sent.records(), timeout, out);
      double seconds = (System.nanoTime() - t0) / 1e9;
      if (s.total() < sent.records()) {
        out.printf("ingest pipeline: only %d of %d records accounted for after %s; is the ingest service running?%n",
            s.total(), sent.records(), timeout);
        return;
      }
      out.printf("ingest pipeline: %d images and %d captions accepted, %d rejected %s, %d duplicates; "
              + "%.1f s end to end (%.0f records/s)%n", s.images(), s.captions(), s.rejected(),
          s.rejectedByReason().isEmpty() ? "" : s.rejectedByReason().toString(), s.duplicates(), seconds,
          sent.records() / seconds);
    }
  }
}
