package io.xmodal.app.cli;

import io.xmodal.client.dataset.Dataset;
import io.xmodal.client.dataset.Flickr8k;
import io.xmodal.client.dataset.Split;
import io.xmodal.device.DeviceChoice;
import io.xmodal.encode.EncodeConfig;
import io.xmodal.learned.LearnedOptions;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.query.gallery.SearchBench;
import io.xmodal.query.sharded.ShardedSearchBench;
import io.xmodal.tools.bench.EncodeBench;
import io.xmodal.tools.bench.LearnedBench;
import io.xmodal.tools.bench.RefitBench;
import io.xmodal.tools.eval.EvalTable;
import io.xmodal.tools.eval.OfflineEvaluation;
import io.xmodal.trainer.TrainerConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine;

@Command(name = "bench", mixinStandardHelpOptions = true,
    description = "Measure throughput and memory (numbers for docs/performance.md, not tests).",
    subcommands = {BenchCommand.Encode.class, BenchCommand.Refit.class, BenchCommand.Search.class,
        BenchCommand.Learned.class})
final class BenchCommand {

  @Command(name = "encode", mixinStandardHelpOptions = true,
      description = {
          "Raw encoder throughput at batch 1, 8 and 32, and encode-stream end to end through an embedded broker.",
          "Uses the Flickr8k dev split; its own broker and registry on free ports under XMODAL_WORK_DIR/bench-*. The "
              + "stream phase starts encode-stream on empty topics, then sends the records and times until the last "
              + "embedding is committed.",
          "CPU per item: process CPU time (user + system, every thread) divided by the items. Raw: this JVM during "
              + "the encoder loop at the stream's batch size (no broker runs yet). Stream: this JVM (encode-stream, "
              + "the sending producer, the counting consumer, GC and JIT) plus the embedded broker's child process, "
              + "from RUNNING to the last embedding read; the registry's CPU is shown apart and not counted.",
          "The last two lines: 'stream/raw cpu-per-item ratio: X.XX' (raw CPU per item over stream CPU per item, "
              + "i.e. stream items per CPU-second over raw items per CPU-second; 1.00 = the pipeline around the "
              + "encoder is free) and 'stream/raw throughput ratio: X.XX' (items per wall second); each the lower "
              + "of the two modalities."})
  static final class Encode implements Callable<Integer> {

    @Option(names = "--path", paramLabel = "DIR", description = "Flickr8k folder (default XMODAL_SHARED_DIR/datasets/flickr8k).")
    Path path;

    @Option(names = "--images", defaultValue = "0", paramLabel = "N", description = "At most N dev images (with their captions); 0 = all 1000.")
    int images;

    @Option(names = "--ceiling", description = {"Pipeline-ceiling mode instead: the same encode-stream with near-free "
        + "ONNX models of the real models' input and output shapes (the real translators still decode, resize, "
        + "normalise and tokenise; only the model's arithmetic is gone), items/s and CPU per item per modality. Its "
        + "last line: 'pipeline ceiling: images N/s, captions M/s'."})
    boolean ceiling;

    @Option(names = "--repeat", paramLabel = "R", description = "Send each record R times to the stream phases, under "
        + "distinct ids (default 1; with --ceiling 10, so the run is long against the 1 s commit interval).")
    Integer repeat;

    @Override
    public Integer call() throws Exception {
      ConfigSource source = ConfigSource.fromEnvironment();
      PlatformConfig config = PlatformConfig.from(source);
      Path dir = path != null ? path : config.sharedDir().resolve("datasets").resolve("flickr8k");
      Dataset dev = Flickr8k.load(dir, Split.DEV, images);
      EncodeBench bench = new EncodeBench(source, System.out, repeat != null ? repeat : ceiling ? 10 : 1);
      if (ceiling) {
        bench.ceiling(dev, config.workDir());
      } else {
        bench.run(dev, config.workDir());
      }
      return 0;
    }
  }

  @Command(name = "refit", mixinStandardHelpOptions = true,
      description = {"With --dataset: the trainer's own refit (its grid, learned maps, hubness references and all-pairs "
          + "step, from the trainer's settings) on the dataset's training pairs, with the default encoders' "
          + "embeddings from the evaluation's cache (encoded first if missing); it prints each phase and, last, "
          + "'refit: pairs N dims T×I candidates C search S s learned L s total W s peak-rss M MB'.",
          "Without it: refit time per closed-form method vs number of pairs (10k, 30k, 100k synthetic), the per-pair "
          + "cost of the incremental statistics update, and the JVM's resident memory after each size's fits."})
  static final class Refit implements Callable<Integer> {

    @Option(names = "--dataset", paramLabel = "NAME",
        description = "Run the trainer's refit on this dataset's train split instead (flickr8k).")
    String dataset;

    @Option(names = "--path", paramLabel = "DIR",
        description = "With --dataset: the dataset folder (default XMODAL_SHARED_DIR/datasets/flickr8k).")
    Path path;

    @Option(names = "--sizes", split = ",", defaultValue = "10000,30000,100000", paramLabel = "N,N,…",
        description = "Pair counts (default ${DEFAULT-VALUE}).")
    int[] sizes;

    @Option(names = "--text-dim", defaultValue = "384", paramLabel = "D",
        description = "Text vector size (default ${DEFAULT-VALUE}, one MiniLM block; the default composite is 1152).")
    int textDim;

    @Option(names = "--image-dim", defaultValue = "1280", paramLabel = "D",
        description = "Image vector size (default ${DEFAULT-VALUE}, MobileNetV2; the default composite is 5376).")
    int imageDim;

    @Override
    public Integer call() {
      if (textDim < 1 || imageDim < 1) {
        throw new CommandLine.ParameterException(new CommandLine(this),
            "--text-dim and --image-dim must be positive, got " + textDim + " and " + imageDim);
      }
      if (dataset != null) {
        if (!dataset.equalsIgnoreCase("flickr8k")) {
          throw new CommandLine.ParameterException(new CommandLine(this),
              "--dataset: only flickr8k is known, got '" + dataset + "'");
        }
        ConfigSource source = ConfigSource.fromEnvironment();
        PlatformConfig platform = PlatformConfig.from(source);
        OfflineEvaluation.Embedded fit = EvalTable.embed(source, path,
            List.of(Split.TRAIN), System.out)[0];
        new RefitBench(System.out).runDataset(fit,
            TrainerConfig.from(source, platform));
        return 0;
      }
      new RefitBench(System.out).run(sizes, textDim, imageDim);
      return 0;
    }
  }

  @Command(name = "query", mixinStandardHelpOptions = true,
      description = {"Query latency p50/p99 and QPS vs gallery size (synthetic 1280-d vectors), beside the GEMM-only "
          + "bound for the same batch, measured in the same run.",
          "With --shards: sharded search (partitions + merge) against one index over the same vectors, with memory "
              + "per shard measured."})
  static final class Search implements Callable<Integer> {

    @Option(names = "--sizes", split = ",", defaultValue = "1000,10000,100000", paramLabel = "N,N,…",
        description = "Gallery sizes (default ${DEFAULT-VALUE}).")
    int[] sizes;

    @Option(names = "--batch", defaultValue = "16", description = "Queries per batch (default ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--batches", defaultValue = "200", description = "Batches per size (default ${DEFAULT-VALUE}).")
    int batches;

    @Option(names = "--references", defaultValue = "4096", paramLabel = "R",
        description = "Reference queries each gallery item's hubness penalty is computed against (default "
            + "${DEFAULT-VALUE}: the most captions a version carries, what an image gallery item is compared with; a "
            + "caption is compared with up to 1024 reference images).")
    int references;

    @Option(names = "--shards", split = ",", paramLabel = "S,S,…",
        description = "Sharded mode: the gallery split into S partitions (e.g. 1,2,4), each searched as a shard task "
            + "does and the partial top-k merged, against one index over the same vectors; memory per shard measured. "
            + "Its last line: 'sharded: items N shards S dim D bytes/vector B p99 P ms merge-overhead M%%'.")
    int[] shards;

    @Option(names = "--gallery", split = ",", defaultValue = "100000,1000000", paramLabel = "N,N,…",
        description = "Sharded mode: gallery sizes (default ${DEFAULT-VALUE}).")
    int[] gallery;

    @Option(names = "--dim", defaultValue = "256", paramLabel = "D",
        description = "Sharded mode: the projected dimension (default ${DEFAULT-VALUE}, a CCA map's; 1280 is a "
            + "least-squares map's, 5 GB per copy at 1M items).")
    int dim;

    @Override
    public Integer call() {
      if (shards != null) {
        new ShardedSearchBench(System.out).run(gallery, shards, dim, batch, batches, 10);
        return 0;
      }
      if (references < 1) {
        System.err.println("error: --references must be at least 1, got " + references);
        return 2;
      }
      new SearchBench(System.out).run(sizes, batch, batches, 10, references);
      return 0;
    }
  }

  @Command(name = "learned", mixinStandardHelpOptions = true,
      description = {
          "Training time of the learned maps (CONTRASTIVE, GMLP) on the Flickr8k train pairs: seconds per epoch, epochs "
              + "to the best held-out epoch, total; then per-query inference cost of each map against the linear map "
              + "it starts from.",
          "Embeddings come from the cache 'xmodal eval' fills (or are encoded first). XMODAL_DEVICE picks where PyTorch "
              + "trains."})
  static final class Learned implements Callable<Integer> {

    @Option(names = "--path", paramLabel = "DIR", description = "Flickr8k folder (default XMODAL_SHARED_DIR/datasets/flickr8k).")
    Path path;

    @Option(names = "--epochs", defaultValue = "30", description = "Most epochs per map (default ${DEFAULT-VALUE}).")
    int epochs;

    @Option(names = "--queries", defaultValue = "2000", description = "Dev captions projected per pass (default ${DEFAULT-VALUE}).")
    int queries;

    @Override
    public Integer call() {
      ConfigSource source = ConfigSource.fromEnvironment();
      OfflineEvaluation.Embedded[] e = EvalTable.embed(source, path,
          List.of(Split.TRAIN, Split.DEV), System.out);
      DeviceChoice device = EncodeConfig.from(source, PlatformConfig.from(source))
          .encoders().device();
      new LearnedBench(System.out).run(e[0], e[1],
          LearnedOptions.all(epochs, device), queries);
      return 0;
    }
  }
}
