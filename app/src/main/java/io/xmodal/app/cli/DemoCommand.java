package io.xmodal.app.cli;

import io.xmodal.client.dataset.Dataset;
import io.xmodal.client.dataset.Flickr8k;
import io.xmodal.client.dataset.Split;
import io.xmodal.embedded.EmbeddedRuntime;
import io.xmodal.mapping.HeldOut;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.process.GracefulStop;
import io.xmodal.platform.process.Rss;
import io.xmodal.tools.demo.Demo;
import io.xmodal.tools.stack.Stack;
import io.xmodal.trainer.TrainerConfig;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "demo", mixinStandardHelpOptions = true,
    description = {
        "The main job: the whole system end to end on the embedded default, with recall on the dev split.",
        "Starts broker, registry and all four services; ingests and learns from the Flickr8k train split; sends every "
            + "dev caption and image as a query with its expected answer; prints recall, throughput and latency; then "
            + "stays up for './xmodal query' until Ctrl-C (or --exit). Its data lives in XMODAL_WORK_DIR/demo."})
final class DemoCommand implements Callable<Integer> {

  @Option(names = "--exit", description = "Exit after the report instead of staying up.")
  boolean exit;

  @Option(names = "--path", paramLabel = "DIR", description = "Flickr8k folder (default XMODAL_SHARED_DIR/datasets/flickr8k).")
  Path path;

  @Option(names = "--train", defaultValue = "train", paramLabel = "SPLIT", description = "Split to learn from (default ${DEFAULT-VALUE}).")
  String trainSplit;

  @Option(names = "--eval", defaultValue = "dev", paramLabel = "SPLIT", description = "Split to query (default ${DEFAULT-VALUE}).")
  String evalSplit;

  @Option(names = "--train-images", defaultValue = "0", paramLabel = "N", description = "At most N training images (0 = all).")
  int trainImages;

  @Option(names = "--eval-images", defaultValue = "0", paramLabel = "N", description = "At most N evaluation images (0 = all).")
  int evalImages;

  @Option(names = "--timeout", defaultValue = "PT60M", description = "Longest wait for any stage (default ${DEFAULT-VALUE}).")
  Duration timeout;

  @Override
  public Integer call() throws Exception {
    PrintStream out = System.out;
    ConfigSource env = ConfigSource.fromEnvironment();
    PlatformConfig base = PlatformConfig.from(env);
    Path dir = path != null ? path : base.sharedDir().resolve("datasets").resolve("flickr8k");
    Dataset train = Flickr8k.load(dir, Split.valueOf(trainSplit.toUpperCase(Locale.ROOT)), trainImages);
    Dataset eval = Flickr8k.load(dir, Split.valueOf(evalSplit.toUpperCase(Locale.ROOT)), evalImages);
    ConfigSource source = demoSettings(env, base, train);
    long t0 = System.nanoTime();
    Stack stack = Stack.start(source);
    CountDownLatch stopped = new CountDownLatch(1);
    GracefulStop.install("xmodal-demo-shutdown", () -> {
      stack.close();
      stopped.countDown();
    });
    out.printf("xmodal demo: everything up in %.1f s (broker %s, registry %s, work %s)%n",
        (System.nanoTime() - t0) / 1e9, stack.config().requireBootstrap(), stack.config().registryRoot(),
        stack.config().workDir());
    TrainerConfig trainer = TrainerConfig.from(source, stack.config());
    Demo.Outcome outcome = new Demo(stack.config(), stack.topics(), out).run(train, eval, trainer.heldOutPercent(),
        trainer.mappingName(), timeout);
    OptionalLong peak = peakRss(stack);
    if (!exit) {
      Demo.print(out, outcome, (System.nanoTime() - t0) / 1e9, peak);
      out.println("xmodal demo stays up: try ./xmodal query --text \"a dog runs through the snow\" -k 5 "
          + "--gallery " + eval.name() + "   (Ctrl-C stops everything)");
      stopped.await();
      return 0;
    }
    stack.close();
    Demo.print(out, outcome, (System.nanoTime() - t0) / 1e9, peak);
    return 0;
  }

  // the high-water marks of this JVM, the broker and the registry added (each process's own peak; empty off Linux)
  private static OptionalLong peakRss(Stack stack) {
    OptionalLong self = Rss.peakSelf();
    if (self.isEmpty()) {
      return self;
    }
    long total = self.getAsLong();
    if (stack.runtime().isPresent()) {
      EmbeddedRuntime r = stack.runtime().get();
      total += Rss.peak(r.broker().process().pid()).orElse(0)
          + Rss.peak(r.registry().process().pid()).orElse(0);
    }
    return OptionalLong.of(total);
  }

  /**
   * The demo's own work folder, and a trainer that waits for every training pair before its first fit (then
   * refits on a short interval), unless the environment says otherwise.
   */
  static ConfigSource demoSettings(ConfigSource env, PlatformConfig base, Dataset train) {
    TrainerConfig defaults = TrainerConfig.from(env, base);
    Map<String, String> o = new HashMap<>();
    o.put("XMODAL_WORK_DIR", base.workDir().resolve("demo").toString());
    if (env.get("XMODAL_TRAINER_MIN_PAIRS").isEmpty()) {
      o.put("XMODAL_TRAINER_MIN_PAIRS", Long.toString(train.trainingPairs(id -> HeldOut.isHeldOut(id, defaults.heldOutPercent()))));
    }
    if (env.get("XMODAL_TRAINER_MIN_HELD_OUT").isEmpty()) {
      long heldOutImages = train.images().stream()
          .filter(i -> HeldOut.isHeldOut(i.imageId(), defaults.heldOutPercent())).count();
      o.put("XMODAL_TRAINER_MIN_HELD_OUT", Long.toString(Math.max(1, Math.min(defaults.minHeldOutImages(),
          heldOutImages))));
    }
    if (env.get("XMODAL_TRAINER_REFIT_PAIRS").isEmpty()) {
      o.put("XMODAL_TRAINER_REFIT_PAIRS", "1000000000");
    }
    if (env.get("XMODAL_TRAINER_REFIT_INTERVAL").isEmpty()) {
      o.put("XMODAL_TRAINER_REFIT_INTERVAL", "30s");
    }
    return env.with(o);
  }
}
