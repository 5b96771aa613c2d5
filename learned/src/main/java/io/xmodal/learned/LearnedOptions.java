package io.xmodal.learned;

import io.xmodal.device.DeviceChoice;
import io.xmodal.mapping.Method;
import java.util.List;

/**
 * How a learned map is trained.
 *
 * @param kind         a learned method: CONTRASTIVE (linear projections of both sides) or GMLP (a gMLP block on the
 *                     text side)
 * @param loss         INFONCE (symmetric, in-batch negatives, learned temperature) or MSE (regression onto the
 *                     image side)
 * @param maxEpochs    upper bound; training stops earlier when held-out recall stops improving
 * @param patience     epochs without a held-out improvement before stopping
 * @param batchSize    pairs per step (its other pairs are the negatives)
 * @param learningRate Adam's step size
 * @param inputDropout dropout on the text input
 * @param hidden       gMLP hidden width (each half of the channel split)
 * @param seed         seeds the shuffles, the dropout masks and the initial weights
 * @param device       where PyTorch trains ({@code XMODAL_DEVICE})
 * @param freezeStart  GMLP only: the start's projections stay as the closed form fitted them and only the gMLP block
 *                     (a residual on the text side, zero at the start) learns: about 0.36 M parameters at h=256
 *                     instead of 1.7 M more for the composite features' projections, fitted to some 27,000 pairs. On
 *                     Flickr8k dev +3.3, +2.0 and +3.5 rsum (seeds 17, 18 and 19) and each epoch about a third cheaper
 *                     (docs/quality.md). CONTRASTIVE has nothing else to learn, so it must be false there.
 * @param members      GMLP with a frozen start only: how many blocks are trained (seeds {@code seed}, {@code seed+1},
 *                     …, each stopped by the held-out pairs) and averaged into one map; 1 trains a single block. The
 *                     default 3: Flickr8k dev served rsum 373.0 and 373.7 (seeds 17–19 and 20–22) against 371.6 and
 *                     372.4 for their blocks alone (mean), at three times the training time (docs/quality.md)
 */
public record LearnedOptions(Method kind, Loss loss, int maxEpochs, int patience, int batchSize, double learningRate,
                             double inputDropout, int hidden, long seed, DeviceChoice device, boolean freezeStart,
                             int members) {

  public enum Loss { INFONCE, MSE }

  public LearnedOptions {
    if (!kind.learned()) {
      throw new IllegalArgumentException(kind + " is a closed form, not a learned map");
    }
    if (freezeStart && kind != Method.GMLP) {
      throw new IllegalArgumentException(kind + " learns only its projections: they cannot be frozen");
    }
    if (members < 1) {
      throw new IllegalArgumentException("members must be at least 1, got " + members);
    }
    if (members > 1 && !freezeStart) {
      throw new IllegalArgumentException("an ensemble of " + members + " blocks needs a GMLP with a frozen start "
          + "(its blocks share the start's projections)");
    }
  }

  /** One block (no ensemble). */
  public LearnedOptions(Method kind, Loss loss, int maxEpochs, int patience, int batchSize, double learningRate,
                        double inputDropout, int hidden, long seed, DeviceChoice device, boolean freezeStart) {
    this(kind, loss, maxEpochs, patience, batchSize, learningRate, inputDropout, hidden, seed, device, freezeStart, 1);
  }

  /** Every parameter trained (the projections too). */
  public LearnedOptions(Method kind, Loss loss, int maxEpochs, int patience, int batchSize, double learningRate,
                        double inputDropout, int hidden, long seed, DeviceChoice device) {
    this(kind, loss, maxEpochs, patience, batchSize, learningRate, inputDropout, hidden, seed, device, false);
  }

  public static LearnedOptions defaults(Method kind) {
    // tuned on Flickr8k dev (fit on train): see docs/quality.md
    return kind == Method.GMLP
        ? new LearnedOptions(kind, Loss.INFONCE, 30, 3, 1024, 2e-4, 0.2, 256, 17, DeviceChoice.AUTO, true, 3)
        : new LearnedOptions(kind, Loss.INFONCE, 30, 4, 1024, 1e-4, 0.3, 256, 17, DeviceChoice.AUTO);
  }

  /**
   * Every kind with its defaults, at most {@code epochs} epochs, trained on {@code device}. A refit's learned step
   * trains CONTRASTIVE only when GMLP does not beat the start, unless it is asked for every kind
   * ({@link LearnedSearch.Scope}).
   */
  public static List<LearnedOptions> all(int epochs, DeviceChoice device) {
    return Method.learnedMethods().stream().map(k -> defaults(k).withEpochs(epochs).withDevice(device)).toList();
  }

  public LearnedOptions withEpochs(int epochs) {
    return new LearnedOptions(kind, loss, epochs, patience, batchSize, learningRate, inputDropout, hidden, seed,
        device, freezeStart, members);
  }

  public LearnedOptions withSeed(long s) {
    return new LearnedOptions(kind, loss, maxEpochs, patience, batchSize, learningRate, inputDropout, hidden, s,
        device, freezeStart, members);
  }

  public LearnedOptions withLoss(Loss l) {
    return new LearnedOptions(kind, l, maxEpochs, patience, batchSize, learningRate, inputDropout, hidden, seed,
        device, freezeStart, members);
  }

  /** The same with another step size, text-input dropout and gMLP width (for tuning on the held-out pairs). */
  public LearnedOptions withTraining(double lr, double dropout, int width) {
    return new LearnedOptions(kind, loss, maxEpochs, patience, batchSize, lr, dropout, width, seed, device,
        freezeStart, members);
  }

  /**
   * The same with the start's projections frozen or trained (GMLP; see {@link #freezeStart()}); trained projections
   * leave one block, since an ensemble's blocks share the frozen ones.
   */
  public LearnedOptions withFrozenStart(boolean freeze) {
    return new LearnedOptions(kind, loss, maxEpochs, patience, batchSize, learningRate, inputDropout, hidden, seed,
        device, freeze, freeze ? members : 1);
  }

  /** The same with {@code b} pairs per step (the in-batch negatives of InfoNCE; for tuning on the held-out pairs). */
  public LearnedOptions withBatchSize(int b) {
    return new LearnedOptions(kind, loss, maxEpochs, patience, b, learningRate, inputDropout, hidden, seed, device,
        freezeStart, members);
  }

  /** The same with {@code m} blocks averaged (GMLP with a frozen start; see {@link #members()}). */
  public LearnedOptions withMembers(int m) {
    return new LearnedOptions(kind, loss, maxEpochs, patience, batchSize, learningRate, inputDropout, hidden, seed,
        device, freezeStart, m);
  }

  public LearnedOptions withDevice(DeviceChoice d) {
    return new LearnedOptions(kind, loss, maxEpochs, patience, batchSize, learningRate, inputDropout, hidden, seed, d,
        freezeStart, members);
  }
}
