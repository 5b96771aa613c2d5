package io.xmodal.learned;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import io.xmodal.mapping.CrossModalMap;
import io.xmodal.mapping.EvalSet;
import io.xmodal.mapping.GmlpMap;
import io.xmodal.mapping.HubnessCorrection;
import io.xmodal.mapping.Linalg;
import io.xmodal.mapping.LinearMap;
import io.xmodal.mapping.Method;
import io.xmodal.mapping.Recall;
import io.xmodal.mapping.Variant;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Trains a learned map on stored pairs with DJL's PyTorch engine, starting from a closed-form solution (the weighted
 * CCA map: its projections, weights folded in, are the initial linear layers; a gMLP block starts as the identity
 * because its output layer starts at zero), so training can only refine it. Each epoch is scored on the held-out
 * pairs with the same recall code as the closed forms; the best epoch is kept, and if none beats the start the start
 * is returned. Deterministic for a seed: shuffles and dropout masks come from a seeded {@link Random}.
 */
public final class LearnedTrainer {

  static {
    // one inter-op thread; intra-op threads default to the cores
    if (System.getProperty("ai.djl.pytorch.num_interop_threads") == null) {
      System.setProperty("ai.djl.pytorch.num_interop_threads", "1");
    }
  }

  /** What training produced. */
  public record Result(CrossModalMap map, Recall.Result validation, Recall.Result start, int epochs, int bestEpoch,
                       double seconds, double secondsPerEpoch, Device device) {
    public boolean improved() {
      return bestEpoch > 0;
    }
  }

  /**
   * How often a step is computed before training gives up on it. PyTorch 2.7.1 (DJL 0.36, CPU) now and then returns a
   * NaN gradient for the first parameter on the first backward pass of a JVM although the loss, its inputs and the
   * same product computed again are finite; computing the step again gives the right gradient.
   */
  static final int STEP_ATTEMPTS = 3;

  private LearnedTrainer() {}

  /**
   * @param x       training text rows (L2-normalised), paired row by row with {@code y}
   * @param y       training image rows (L2-normalised)
   * @param start   the closed form to start from (a weighted CCA map is the strong start)
   * @param scoring the hubness correction epochs are scored with (the start's)
   */
  public static Result train(float[][] x, float[][] y, LinearMap start, EvalSet validation, INDArray refText,
                             INDArray refImages, HubnessCorrection scoring, LearnedOptions o, Consumer<String> log) {
    return train(Start.scored(x, y, start, scoring, validation, refText, refImages, null), o, log);
  }

  /** As above, from a prepared start (which several trainings may share: see {@link Start}). */
  static Result train(Start start, LearnedOptions o, Consumer<String> log) {
    if (start.heldOut == null) {
      throw new IllegalArgumentException("a start without held-out pairs can only be trained for fixed epochs");
    }
    return run(start, o, true, log);
  }

  /**
   * The same training for exactly {@code epochs} epochs, with no held-out pairs to choose among them: how a learned
   * map whose epochs were chosen on the held-out pairs is trained again on every pair, those included. The map after
   * the last epoch is returned ({@link Result#validation()} and {@link Result#start()} are null).
   */
  public static Result trainFixed(float[][] x, float[][] y, LinearMap start, HubnessCorrection scoring,
                                  LearnedOptions o, int epochs, Consumer<String> log) {
    return trainFixed(Start.unscored(x, y, start, scoring), o, epochs, log);
  }

  /** As above, from a prepared start (its held-out pairs, if it has any, unused). */
  static Result trainFixed(Start start, LearnedOptions o, int epochs, Consumer<String> log) {
    if (epochs < 1) {
      throw new IllegalArgumentException("epochs must be at least 1, got " + epochs);
    }
    return run(start, o.withEpochs(epochs), false, log);
  }

  /** @param scored whether epochs are scored on the start's held-out pairs (and the best kept) or all run */
  private static Result run(Start s, LearnedOptions o, boolean scored, Consumer<String> log) {
    long t0 = System.nanoTime();
    Engine engine = Engine.getEngine("PyTorch");
    engine.setRandomSeed((int) o.seed());
    Device device = o.device().resolve("PyTorch");
    Random random = new SequentialRandom(o.seed());
    float[][] x = s.x;
    float[][] y = s.y;
    int n = x.length;
    int dx = s.muX.length;
    int dy = s.muY.length;
    int k = s.k;
    int batch = o.batchSize();
    boolean fixed = !scored;
    LinearMap start = s.map;
    Recall.Result startRecall = fixed ? null : s.recall;

    CrossModalMap best = start.withHubness(s.scoring);
    Recall.Result bestRecall = startRecall;
    int bestEpoch = 0;
    int epoch = 0;
    // autograd's grad mode is per thread and on in a thread PyTorch has not seen (the trainer's fit thread): the
    // in-place parameter updates need it off; a GradientCollector turns it on only while it is open
    boolean gradMode = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try (NDManager manager = engine.newBaseManager(device)) {
      List<NDArray> params = new ArrayList<>();
      // frozen: constants without gradients, outside what Adam updates; the image side is then applied to every
      // training image row once (the start's projection), and a step reads its batch's rows of that
      NDArray a = o.freezeStart() ? manager.create(s.a, new Shape(dx, k))
          : param(manager, s.a, new Shape(dx, k), params);
      NDArray b = o.freezeStart() ? null : param(manager, s.b, new Shape(dy, k), params);
      NDArray muy = o.freezeStart() ? null : manager.create(s.muY, new Shape(1, dy));
      float[] projected = o.freezeStart() ? s.projectedImages(manager, batch) : null;
      NDArray logScale = param(manager, new float[] {(float) Math.log(20)}, new Shape(1), params);
      Block block = o.kind() == Method.GMLP ? new Block(manager, k, o.hidden(), random, params) : null;
      Adam adam = new Adam(manager, params, o.learningRate());
      // a step's inputs, in buffers reused from step to step
      Rows textRows = new Rows(batch, dx);
      Rows imageRows = new Rows(batch, projected != null ? k : dy);

      int since = 0;
      int[] order = new int[n];
      for (int i = 0; i < n; i++) {
        order[i] = i;
      }
      log.accept(fixed
          ? String.format("%s from %s: %d epochs on %d pairs", o.kind(), start.label(), o.maxEpochs(), n)
          : String.format("%s from %s: held-out rsum %.1f at the start%s", o.kind(), start.label(),
              startRecall.rsum(), o.freezeStart() ? " (its projections frozen, the block trained)" : ""));
      while (epoch < o.maxEpochs() && since < o.patience()) {
        epoch++;
        shuffle(order, random);
        double lossSum = 0;
        int steps = 0;
        for (int from = 0; from + batch <= n; from += batch) {
          try (NDManager step = manager.newSubManager()) {
            // (x − μx) ⊙ dropout mask, made on the host (the same float32 products PyTorch made of the two)
            NDArray xin = textRows.centredDropped(step, x, s.muX, order, from, o.inputDropout(), random);
            NDArray images = projected != null ? imageRows.gather(step, projected, order, from)
                : imageRows.gather(step, y, order, from);
            float value = Float.NaN;
            boolean finite = false;
            for (int attempt = 1; attempt <= STEP_ATTEMPTS && !finite; attempt++) {
              try (GradientCollector gc = engine.newGradientCollector()) {
                NDArray zt = xin.matMul(a);
                if (block != null) {
                  zt = zt.add(block.forward(zt));
                }
                NDArray zi = projected != null ? images : images.sub(muy).matMul(b);
                NDArray loss = o.loss() == LearnedOptions.Loss.INFONCE
                    ? infoNce(unit(zt), unit(zi), logScale, step)
                    : unit(zt).sub(unit(zi)).pow(2).sum().div((float) batch);
                value = loss.getFloat();
                if (!Float.isFinite(value)) {
                  break;
                }
                gc.backward(loss);
              }
              finite = finiteGradients(params, step);
              if (!finite) {
                log.accept(String.format("%s epoch %d step %d: non-finite gradients (attempt %d of %d)", o.kind(),
                    epoch, steps + 1, attempt, STEP_ATTEMPTS));
                zeroGradients(params);
              }
            }
            if (!finite) {
              log.accept(String.format("%s epoch %d: the loss is %s; training stops at the best epoch so far",
                  o.kind(), epoch, Float.isFinite(value) ? "finite but its gradients are not" : value));
              since = o.patience();
              break;
            }
            lossSum += value;
            adam.step(step);
            steps++;
          }
        }
        if (since >= o.patience()) {
          break;
        }
        CrossModalMap current;
        try {
          current = export(o, start, nd4j(a), b == null ? s.frozenB() : nd4j(b), block, s.scoring);
        } catch (ArithmeticException e) {
          log.accept(String.format("%s epoch %d: %s; training stops at the best epoch so far", o.kind(), epoch,
              e.getMessage()));
          break;
        }
        if (fixed) {
          log.accept(String.format("%s epoch %d of %d: loss %.4f", o.kind(), epoch, o.maxEpochs(),
              lossSum / Math.max(1, steps)));
          best = current;
          bestEpoch = epoch;
          continue;
        }
        Recall.Result r = s.heldOut.score(current, o.freezeStart());
        log.accept(String.format("%s epoch %d: loss %.4f, held-out rsum %.1f (best %.1f)", o.kind(), epoch,
            lossSum / Math.max(1, steps), r.rsum(), bestRecall.rsum()));
        if (r.rsum() > bestRecall.rsum()) {
          best = current;
          bestRecall = r;
          bestEpoch = epoch;
          since = 0;
        } else {
          since++;
        }
      }
    } finally {
      JniUtils.setGradMode(gradMode);
    }
    double seconds = (System.nanoTime() - t0) / 1e9;
    return new Result(best, bestRecall, startRecall, epoch, bestEpoch, seconds, seconds / Math.max(1, epoch), device);
  }

  private static boolean finiteGradients(List<NDArray> params, NDManager step) {
    for (NDArray p : params) {
      NDArray g = p.getGradient();
      g.attach(step);
      if (!Float.isFinite(g.sum().getFloat())) {
        return false;
      }
    }
    return true;
  }

  /** Sets the gradients to zero (PyTorch's {@code zero_()}: a NaN times zero would stay NaN). */
  static void zeroGradients(List<NDArray> params) {
    for (NDArray p : params) {
      JniUtils.zeroGrad((PtNDArray) p);
    }
  }

  // symmetric InfoNCE: −½ mean_i [log softmax_j(s·tᵢ·iⱼ)]ᵢᵢ − ½ mean_j [log softmax_i(s·tᵢ·iⱼ)]ⱼⱼ, s = exp(logScale)
  static NDArray infoNce(NDArray t, NDArray i, NDArray logScale, NDManager step) {
    long b = t.getShape().get(0);
    NDArray scale = logScale.exp();
    scale.attach(step); // logScale lives as long as training; its per-step results must not
    NDArray logits = t.matMul(i.transpose()).mul(scale.clip(1, 100));
    NDArray eye = step.eye((int) b);
    NDArray rows = logits.logSoftmax(1).mul(eye).sum();
    NDArray cols = logits.logSoftmax(0).mul(eye).sum();
    return rows.add(cols).neg().div((float) (2.0 * b));
  }

  static NDArray unit(NDArray z) {
    return z.div(z.pow(2).sum(new int[] {1}, true).add(1e-12f).sqrt());
  }

  /** The map as it stands, for scoring and publishing (weights copied out to ND4J). */
  private static CrossModalMap export(LearnedOptions o, LinearMap start, INDArray ja, INDArray jb, Block block,
                                      HubnessCorrection scoring) {
    String loss = o.loss().name().toLowerCase(Locale.ROOT);
    if (block == null) {
      return new LinearMap(Method.CONTRASTIVE, new Variant.Learned(Method.CONTRASTIVE, 0, start.variant(), loss),
          start.muX(), start.muY(), ja, jb, null, scoring);
    }
    return new GmlpMap(new Variant.Learned(Method.GMLP, o.hidden(), start.variant(), loss),
        start.muX(), start.muY(), ja, jb, block.export(), scoring);
  }

  static INDArray nd4j(NDArray a) {
    long[] shape = a.getShape().getShape();
    float[] values = a.toFloatArray().clone();
    for (float v : values) {
      if (!Float.isFinite(v)) {
        throw new ArithmeticException("a trained parameter is " + v);
      }
    }
    return Nd4j.create(values, shape, org.nd4j.linalg.api.buffer.DataType.FLOAT);
  }

  private static NDArray param(NDManager m, float[] values, Shape shape, List<NDArray> params) {
    NDArray p = m.create(values, shape);
    p.setRequiresGradient(true);
    params.add(p);
    return p;
  }

  private static void shuffle(int[] a, Random r) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }

  /**
   * One start on one set of training pairs, prepared once for every map trained from it (a refit's kinds, an
   * ensemble's blocks, each block trained again on every pair): its means and projections as float32 rows, its
   * dimension weights folded in; with held-out pairs, its own held-out recall and the scorer of the epochs; and, made
   * the first time a frozen-start training asks, its image side applied to every training image row. For one thread.
   */
  static final class Start {
    final float[][] x;
    final float[][] y;
    final LinearMap map;
    /** The hubness correction epochs are scored with (the start's). */
    final HubnessCorrection scoring;
    final float[] muX;
    final float[] muY;
    /** A and B (dx×k and dy×k, row-major), the dimension weights folded in. */
    final float[] a;
    final float[] b;
    final int k;
    /** The held-out pairs' scorer; null when there are none. */
    final HeldOut heldOut;
    /** The start's held-out recall under {@link #scoring}; null when there are no held-out pairs. */
    final Recall.Result recall;
    private float[] projectedImages;

    private Start(float[][] x, float[][] y, LinearMap start, HubnessCorrection scoring, HeldOut heldOut,
                  Recall.Result recall) {
      this.x = x;
      this.y = y;
      this.map = start;
      this.scoring = scoring;
      muX = Linalg.rowMajorFloats(start.muX());
      muY = Linalg.rowMajorFloats(start.muY());
      INDArray a0 = start.a();
      INDArray b0 = start.b();
      if (start.weights() != null) {
        a0 = a0.mulRowVector(start.weights());
        b0 = b0.mulRowVector(start.weights());
      }
      k = (int) a0.columns();
      a = Linalg.rowMajorFloats(a0);
      b = Linalg.rowMajorFloats(b0);
      this.heldOut = heldOut;
      this.recall = heldOut == null ? null
          : recall != null ? recall : heldOut.score(start.withHubness(scoring), false);
    }

    /**
     * @param x      training text rows (L2-normalised), paired row by row with {@code y} (image rows)
     * @param recall the start's held-out recall under {@code scoring} on these held-out pairs and references when it
     *               is known (a closed-form candidate's: the same pairs, references and correction), else null to
     *               score it here
     */
    static Start scored(float[][] x, float[][] y, LinearMap start, HubnessCorrection scoring, EvalSet validation,
                        INDArray refText, INDArray refImages, Recall.Result recall) {
      return new Start(x, y, start, scoring, new HeldOut(validation, refText, refImages), recall);
    }

    /** With no held-out pairs: for training a fixed number of epochs. */
    static Start unscored(float[][] x, float[][] y, LinearMap start, HubnessCorrection scoring) {
      return new Start(x, y, start, scoring, null, null);
    }

    /**
     * (y − μy)·B of every training image row (n×k, row-major): the frozen image side that a frozen-start step would
     * otherwise compute for its batch at every step of every epoch of every block. Made once, by the same PyTorch
     * product in batches of {@code chunk} rows on {@code manager}'s device, and read back to the host.
     */
    float[] projectedImages(NDManager manager, int chunk) {
      if (projectedImages == null) {
        int n = y.length;
        int dy = muY.length;
        float[] out = new float[Math.multiplyExact(n, k)];
        Rows rows = new Rows(Math.max(1, Math.min(chunk, n)), dy);
        try (NDManager m = manager.newSubManager()) {
          NDArray muy = m.create(muY, new Shape(1, dy));
          NDArray bm = m.create(b, new Shape(dy, k));
          for (int from = 0; from < n; from += chunk) {
            int count = Math.min(chunk, n - from);
            try (NDManager step = m.newSubManager()) {
              float[] z = rows.slice(step, y, from, count).sub(muy).matMul(bm).toFloatArray();
              System.arraycopy(z, 0, out, from * k, z.length);
            }
          }
        }
        projectedImages = out;
      }
      return projectedImages;
    }

    /** B as a frozen-start map exports it (the values PyTorch held as the frozen constant). */
    INDArray frozenB() {
      return Nd4j.create(b, new long[] {muY.length, k}, org.nd4j.linalg.api.buffer.DataType.FLOAT);
    }
  }

  /**
   * Scores maps on the held-out pairs, as {@link Recall#evaluate} does. Every map trained from one frozen start has
   * that start's image side (its μy and B exactly), so for those the held-out images and the reference images are
   * projected once, by the first of them, and reused.
   */
  static final class HeldOut {
    private final EvalSet validation;
    private final INDArray refText;
    private final INDArray refImages;
    private final Map<INDArray, INDArray> frozenImages = new IdentityHashMap<>();

    HeldOut(EvalSet validation, INDArray refText, INDArray refImages) {
      this.validation = validation;
      this.refText = refText;
      this.refImages = refImages;
    }

    /** @param frozenImageSide whether {@code map}'s image side is the frozen start's */
    Recall.Result score(CrossModalMap map, boolean frozenImageSide) {
      CrossModalMap scored = frozenImageSide ? new FrozenImageSide(map, frozenImages) : map;
      return Recall.evaluate(scored, validation.captions(), validation.captionImage(), validation.images(), refText,
          refImages);
    }
  }

  /**
   * {@code map} with the image projections it shares with the other maps of one frozen start, kept by the rows they
   * project (the held-out images, the reference images); a copy of each is handed out, so a caller may free it.
   */
  private record FrozenImageSide(CrossModalMap map, Map<INDArray, INDArray> projected) implements CrossModalMap {
    @Override
    public Method method() {
      return map.method();
    }

    @Override
    public Variant variant() {
      return map.variant();
    }

    @Override
    public HubnessCorrection hubness() {
      return map.hubness();
    }

    @Override
    public CrossModalMap withHubness(HubnessCorrection h) {
      return new FrozenImageSide(map.withHubness(h), projected);
    }

    @Override
    public INDArray projectText(INDArray x) {
      return map.projectText(x);
    }

    @Override
    public INDArray projectImages(INDArray y) {
      return projected.computeIfAbsent(y, map::projectImages).dup();
    }
  }

  /**
   * A step's input rows in one direct buffer, reused from step to step: a CPU tensor made from it reads it in place
   * (a GPU one is a copy), so it is refilled only once the step that read it is closed. The buffer starts on a
   * 64-byte boundary, as PyTorch's own CPU tensors do: the BLAS product of rows at another alignment can round
   * differently, which made the same seed train a different map from run to run.
   */
  private static final class Rows {
    private static final int ALIGNMENT = 64;
    private final ByteBuffer bytes;
    private final FloatBuffer floats;
    private final float[] line;
    private final int rows;
    private final int d;

    Rows(int rows, int d) {
      this.rows = rows;
      this.d = d;
      int size = Math.multiplyExact(Math.multiplyExact(rows, d), Float.BYTES);
      bytes = ByteBuffer.allocateDirect(Math.addExact(size, 2 * ALIGNMENT)).alignedSlice(ALIGNMENT)
          .order(ByteOrder.nativeOrder());
      floats = bytes.asFloatBuffer();
      line = new float[d];
    }

    /** Rows {@code order[from]}, {@code order[from + 1]}, … of {@code data}, as many as this holds. */
    NDArray gather(NDManager m, float[][] data, int[] order, int from) {
      floats.clear();
      for (int i = 0; i < rows; i++) {
        floats.put(data[order[from + i]]);
      }
      return array(m, rows);
    }

    /** The same of row-major {@code data} ({@code d} values a row). */
    NDArray gather(NDManager m, float[] data, int[] order, int from) {
      floats.clear();
      for (int i = 0; i < rows; i++) {
        floats.put(data, order[from + i] * d, d);
      }
      return array(m, rows);
    }

    /** Rows {@code from} to {@code from + count − 1} of {@code data}; at most as many as this holds. */
    NDArray slice(NDManager m, float[][] data, int from, int count) {
      floats.clear();
      for (int i = 0; i < count; i++) {
        floats.put(data[from + i]);
      }
      return array(m, count);
    }

    /**
     * (x − μ) ⊙ mask of rows {@code order[from]}, … of {@code x} (as many as this holds), the mask drawn value by
     * value in row-major order: 0 with probability {@code p}, else 1/(1 − p). Each value is the same float32
     * difference and product PyTorch made when it was given the rows and the mask.
     */
    NDArray centredDropped(NDManager m, float[][] x, float[] mu, int[] order, int from, double p, Random random) {
      float keep = (float) (1.0 / (1.0 - p));
      floats.clear();
      for (int i = 0; i < rows; i++) {
        float[] row = x[order[from + i]];
        for (int j = 0; j < d; j++) {
          line[j] = (row[j] - mu[j]) * (random.nextDouble() < p ? 0f : keep);
        }
        floats.put(line, 0, d);
      }
      return array(m, rows);
    }

    private NDArray array(NDManager m, int count) {
      bytes.clear().limit(count * d * Float.BYTES);
      return m.create(bytes, new Shape(count, d), DataType.FLOAT32);
    }
  }

  /** The gMLP block's parameters and forward pass (same formulas as {@link GmlpMap}). */
  static final class Block {
    final NDArray ln1Gamma;
    final NDArray ln1Beta;
    final NDArray w1;
    final NDArray b1;
    final NDArray ln2Gamma;
    final NDArray ln2Beta;
    final NDArray wg;
    final NDArray bg;
    final NDArray w2;
    final NDArray b2;
    final int hidden;

    Block(NDManager m, int k, int hidden, Random random, List<NDArray> params) {
      this.hidden = hidden;
      ln1Gamma = param(m, fill(k, 1f), new Shape(1, k), params);
      ln1Beta = param(m, fill(k, 0f), new Shape(1, k), params);
      w1 = param(m, gaussian(k * 2 * hidden, 0.02, random), new Shape(k, 2L * hidden), params);
      b1 = param(m, fill(2 * hidden, 0f), new Shape(1, 2L * hidden), params);
      ln2Gamma = param(m, fill(hidden, 1f), new Shape(1, hidden), params);
      ln2Beta = param(m, fill(hidden, 0f), new Shape(1, hidden), params);
      // the gate starts near the identity: weights near zero, bias one (as in the gMLP paper)
      wg = param(m, gaussian(hidden * hidden, 1e-3, random), new Shape(hidden, hidden), params);
      bg = param(m, fill(hidden, 1f), new Shape(1, hidden), params);
      // the output starts at zero: the block is the identity until it learns something
      w2 = param(m, fill(hidden * k, 0f), new Shape(hidden, k), params);
      b2 = param(m, fill(k, 0f), new Shape(1, k), params);
    }

    NDArray forward(NDArray z) {
      NDArray uv = gelu(layerNorm(z, ln1Gamma, ln1Beta).matMul(w1).add(b1));
      NDArray u = uv.get(new NDIndex(":, 0:" + hidden));
      NDArray v = uv.get(new NDIndex(":, " + hidden + ":"));
      NDArray gate = layerNorm(v, ln2Gamma, ln2Beta).matMul(wg).add(bg);
      return u.mul(gate).matMul(w2).add(b2);
    }

    GmlpMap.Block export() {
      return new GmlpMap.Block(nd4j(ln1Gamma), nd4j(ln1Beta), nd4j(w1), nd4j(b1), nd4j(ln2Gamma), nd4j(ln2Beta),
          nd4j(wg), nd4j(bg), nd4j(w2), nd4j(b2));
    }

    static NDArray layerNorm(NDArray z, NDArray gamma, NDArray beta) {
      NDArray mean = z.mean(new int[] {1}, true);
      NDArray centred = z.sub(mean);
      NDArray var = centred.pow(2).mean(new int[] {1}, true);
      return centred.div(var.add(1e-5f).sqrt()).mul(gamma).add(beta);
    }

    // tanh form, as GmlpMap serves it
    static NDArray gelu(NDArray z) {
      NDArray inner = z.add(z.pow(3).mul(0.044715f)).mul((float) Math.sqrt(2 / Math.PI));
      return z.mul(0.5f).mul(inner.tanh().add(1f));
    }

    private static float[] fill(int n, float v) {
      float[] a = new float[n];
      Arrays.fill(a, v);
      return a;
    }

    private static float[] gaussian(int n, double std, Random r) {
      float[] a = new float[n];
      for (int i = 0; i < n; i++) {
        a[i] = (float) (r.nextGaussian() * std);
      }
      return a;
    }
  }

  /** Adam (β₁ 0.9, β₂ 0.999): updates the parameters in place, outside autograd. */
  static final class Adam {
    private final List<NDArray> params;
    private final List<NDArray> m = new ArrayList<>();
    private final List<NDArray> v = new ArrayList<>();
    private final double lr;
    private int t;

    Adam(NDManager manager, List<NDArray> params, double lr) {
      this.params = params;
      this.lr = lr;
      for (NDArray p : params) {
        m.add(manager.zeros(p.getShape(), DataType.FLOAT32));
        v.add(manager.zeros(p.getShape(), DataType.FLOAT32));
      }
    }

    void step(NDManager step) {
      t++;
      double c1 = 1 - Math.pow(0.9, t);
      double c2 = 1 - Math.pow(0.999, t);
      for (int i = 0; i < params.size(); i++) {
        NDArray p = params.get(i);
        NDArray g = p.getGradient();
        g.attach(step);
        m.get(i).muli(0.9f).addi(g.mul(0.1f));
        v.get(i).muli(0.999f).addi(g.pow(2).mul(0.001f));
        NDArray mHat = m.get(i).div((float) c1);
        NDArray vHat = v.get(i).div((float) c2);
        mHat.attach(step);
        vHat.attach(step);
        NDArray update = mHat.div(vHat.sqrt().add(1e-8f)).mul((float) lr);
        p.subi(update);
      }
      zeroGradients(params);
    }
  }
}
