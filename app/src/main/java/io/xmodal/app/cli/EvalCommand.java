package io.xmodal.app.cli;

import io.xmodal.client.dataset.Split;
import io.xmodal.device.DeviceChoice;
import io.xmodal.encode.EncodeConfig;
import io.xmodal.learned.LearnedOptions;
import io.xmodal.learned.LearnedSearch;
import io.xmodal.mapping.Method;
import io.xmodal.mapping.ModelSearch;
import io.xmodal.mapping.ReferenceCaps;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.tools.eval.EvalTable;
import io.xmodal.tools.eval.OfflineEvaluation;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

@Command(name = "eval", mixinStandardHelpOptions = true,
    description = {
        "Fit every mapping method on one split and measure recall@1/5/10 both ways on another, with the trainer's code.",
        "Hyperparameters are chosen on a held-out tenth of the fit split, never on the evaluated split. Embeddings are "
            + "cached under XMODAL_WORK_DIR/cache, keyed by encoder identity, so a second run does not re-encode."})
final class EvalCommand implements Callable<Integer> {

  @Spec
  CommandSpec spec;

  @Option(names = "--dataset", defaultValue = "flickr8k", description = "Dataset layout (flickr8k).")
  String dataset;

  @Option(names = "--path", paramLabel = "DIR", description = "The dataset folder (default XMODAL_SHARED_DIR/datasets/flickr8k).")
  Path path;

  @Option(names = "--fit", defaultValue = "train", paramLabel = "SPLIT", description = "Split to fit on (default ${DEFAULT-VALUE}).")
  String fit;

  @Option(names = "--eval", defaultValue = "dev", paramLabel = "SPLIT", description = "Split to evaluate on (default ${DEFAULT-VALUE}); test works on a folder that holds it.")
  String eval;

  @Option(names = "--json", paramLabel = "FILE", description = "Also write the table as JSON.")
  Path json;

  @Option(names = "--held-out", defaultValue = "10", paramLabel = "PERCENT", description = "Share of fit images kept aside to choose hyperparameters (default ${DEFAULT-VALUE}).")
  int heldOut;

  @Option(names = "--learned", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Also train the learned maps (CONTRASTIVE, GMLP) from the best weighted CCA (default). "
          + "--no-learned: closed forms only.")
  boolean learned;

  @Option(names = "--every-learned", description = "Train every learned kind (CONTRASTIVE too); by default, as the "
      + "trainer does, GMLP first and CONTRASTIVE only when GMLP fails or does not beat its start.")
  boolean everyLearned;

  @Option(names = "--epochs", defaultValue = "30", description = "Most epochs per learned map (default ${DEFAULT-VALUE}).")
  int epochs;

  @Option(names = "--loss", defaultValue = "infonce", paramLabel = "LOSS",
      description = "Loss of the learned maps: infonce (symmetric, in-batch negatives; default) or mse (regression).")
  String loss;

  @Option(names = "--seed", defaultValue = "17", description = "Seed of the learned maps' initialisation, shuffles "
      + "and dropout (default ${DEFAULT-VALUE}; a gMLP ensemble's blocks take S, S+1, …); the same seed gives the same "
      + "table.")
  long seed;

  @Option(names = "--lr", paramLabel = "RATE",
      description = "Adam's step size for the learned maps (default: each kind's, 1e-4 CONTRASTIVE, 2e-4 GMLP).")
  Double lr;

  @Option(names = "--dropout", paramLabel = "P",
      description = "Dropout on the learned maps' text input (default: each kind's, 0.3 CONTRASTIVE, 0.2 GMLP).")
  Double dropout;

  @Option(names = "--batch", paramLabel = "N",
      description = "Pairs per training step of the learned maps, the others in the batch being InfoNCE's negatives "
          + "(default 1024).")
  Integer batch;

  @Option(names = "--reference-captions", paramLabel = "N", description = "Most hubness reference captions, as "
      + "XMODAL_TRAINER_REFERENCE_CAPTIONS in the trainer (default 16384).")
  Integer referenceCaptions;

  @Option(names = "--reference-images", paramLabel = "N", description = "Most hubness reference images, as "
      + "XMODAL_TRAINER_REFERENCE_IMAGES in the trainer (default 1024).")
  Integer referenceImages;

  @Option(names = "--hidden", paramLabel = "N", description = "gMLP hidden width (default 256).")
  Integer hidden;

  @Option(names = "--freeze-start", negatable = true,
      description = "gMLP: keep the start's projections as the closed form fitted them and train only the gMLP block "
          + "(the default); --no-freeze-start trains the projections too.")
  Boolean freezeStart;

  @Option(names = "--members", paramLabel = "N",
      description = "gMLP with a frozen start: train N blocks (seeds S, S+1, …) and serve their average "
          + "(default 3, as the trainer; 1: a single block).")
  Integer members;

  @Option(names = "--cca", paramLabel = "R,K,P",
      description = "Fit only the weighted CCA with ridge R (R/RI: R on the text side, RI on the image side), K "
          + "directions and weighting power P (with the "
          + "hubness grid) instead of every closed form: a quick start for tuning the learned maps, whose held-out "
          + "rsum (on the fit split, never the evaluated one) is what to compare.")
  String cca;

  @Option(names = "--all-pairs", description = "Also refit every closed form's chosen hyperparameters on every pair of "
      + "the fit split, its held-out tenth included, and score those maps too (rows marked [all pairs]). The "
      + "trainer's choice (its row and the line after the table) is always refitted so, as the trainer does.")
  boolean allPairs;

  @Override
  public Integer call() throws Exception {
    if (!dataset.equalsIgnoreCase("flickr8k")) {
      throw new ParameterException(spec.commandLine(), "--dataset must be flickr8k");
    }
    if (members != null && (members < 1 || members > 1 && Boolean.FALSE.equals(freezeStart))) {
      throw new ParameterException(spec.commandLine(), members < 1 ? "--members must be at least 1"
          : "--members " + members + " averages blocks on one frozen start: drop --no-freeze-start or use --members 1");
    }
    if (batch != null && batch < 2) {
      throw new ParameterException(spec.commandLine(), "--batch must be at least 2 (InfoNCE needs a negative), got "
          + batch);
    }
    ReferenceCaps references;
    try {
      references = new ReferenceCaps(referenceCaptions != null ? referenceCaptions : ReferenceCaps.DEFAULT.captions(),
          referenceImages != null ? referenceImages : ReferenceCaps.DEFAULT.images());
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "--reference-captions and --reference-images: "
          + e.getMessage());
    }
    PrintStream out = System.out;
    ConfigSource source = ConfigSource.fromEnvironment();
    PlatformConfig platform = PlatformConfig.from(source);
    OfflineEvaluation.Embedded[] embedded = EvalTable.embed(source, path, List.of(split(fit), split(eval)), out);
    OfflineEvaluation.Embedded fitEmb = embedded[0];
    OfflineEvaluation.Embedded evalEmb = embedded[1];
    DeviceChoice device = EncodeConfig.from(source, platform).encoders().device();
    LearnedOptions.Loss lossKind = learnedLoss();
    List<LearnedOptions> kinds = !learned ? List.of()
        : LearnedOptions.all(epochs, device).stream().map(o -> o.withSeed(seed).withLoss(lossKind)
            .withTraining(lr != null ? lr : o.learningRate(), dropout != null ? dropout : o.inputDropout(),
                hidden != null ? hidden : o.hidden()))
            .map(o -> freezeStart != null && o.kind() == Method.GMLP
                ? o.withFrozenStart(freezeStart) : o)
            .map(o -> batch != null ? o.withBatchSize(batch) : o)
            .map(o -> members != null && o.kind() == Method.GMLP ? o.withMembers(members) : o)
            .toList();
    List<OfflineEvaluation.Row> rows = new ArrayList<>(new OfflineEvaluation(out, references).run(fitEmb, evalEmb, heldOut,
        grid(platform), kinds, allPairs, everyLearned ? LearnedSearch.Scope.EVERY_KIND
            : LearnedSearch.Scope.GMLP_FIRST));
    rows.sort(Comparator.comparing(OfflineEvaluation.Row::method));
    EvalTable.print(out, rows);
    OfflineEvaluation.choice(rows).ifPresent(c -> out.printf("trainer's choice: %s: T2I R@10 %.1f, I2T R@10 %.1f, "
        + "rsum %.1f (held-out rsum %.1f)%n", c.method(), c.recall().t2iR10(), c.recall().i2tR10(), c.recall().rsum(),
        c.validationRsum()));
    if (json != null) {
      EvalTable.writeJson(json, rows);
      out.println("wrote " + json.toAbsolutePath());
    }
    return 0;
  }

  // the trainer's grid, for versions the trainer could publish (XMODAL_MAX_MESSAGE_BYTES)
  private ModelSearch.Options grid(PlatformConfig platform) {
    ModelSearch.Options full = ModelSearch.Options.defaults()
        .withMaxVersionBytes(platform.topics().maxMappingBytes());
    if (cca == null) {
      return full;
    }
    String[] p = cca.split(",");
    try {
      if (p.length != 3) {
        throw new NumberFormatException();
      }
      String[] ridge = p[0].trim().split("/", -1);
      if (ridge.length > 2) {
        throw new NumberFormatException();
      }
      return new ModelSearch.Options(full.lambdas(), new double[] {Double.parseDouble(ridge[0])},
          new int[] {Integer.parseInt(p[1].trim())}, new double[] {Double.parseDouble(p[2].trim())}, full.hubness(),
          false, List.of(Method.CCA),
          ridge.length == 2 ? new double[] {Double.parseDouble(ridge[1])} : new double[0])
          .withMaxVersionBytes(full.maxVersionBytes());
    } catch (NumberFormatException e) {
      throw new ParameterException(spec.commandLine(), "--cca wants R,K,P or R/RI,K,P (text ridge R, image ridge RI; "
          + "e.g. 0.3/2,256,1), got '" + cca + "'");
    }
  }

  private LearnedOptions.Loss learnedLoss() {
    try {
      return LearnedOptions.Loss.valueOf(loss.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "unknown --loss '" + loss + "' (infonce, mse)");
    }
  }

  private Split split(String name) {
    try {
      return Split.valueOf(name.toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new ParameterException(spec.commandLine(), "unknown split '" + name + "' (train, dev, test)");
    }
  }
}
