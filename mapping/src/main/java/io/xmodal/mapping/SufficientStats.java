package io.xmodal.mapping;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.IdentityHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * What every closed-form fit needs from n pairs (x_i text, y_i image), kept incrementally in float64: n, Σx, Σy,
 * XᵀX (dx×dx), YᵀY (dy×dy), XᵀY (dx×dy). Adding or removing k pairs is a rank-k update, O(k·d²); a refit then costs
 * O(d³), whatever n is. Not thread-safe.
 */
public final class SufficientStats {

  private final int dx;
  private final int dy;
  private long n;
  private final INDArray sx;
  private final INDArray sy;
  private final INDArray xx;
  private final INDArray yy;
  private final INDArray xy;

  public SufficientStats(int dx, int dy) {
    this(dx, dy, 0, Linalg.zeros(1, dx), Linalg.zeros(1, dy), Linalg.zeros(dx, dx), Linalg.zeros(dy, dy),
        Linalg.zeros(dx, dy));
  }

  private SufficientStats(int dx, int dy, long n, INDArray sx, INDArray sy, INDArray xx, INDArray yy, INDArray xy) {
    this.dx = dx;
    this.dy = dy;
    this.n = n;
    this.sx = sx;
    this.sy = sy;
    this.xx = xx;
    this.yy = yy;
    this.xy = xy;
  }

  /** The statistics of all rows at once (the batch computation the incremental one must equal). */
  public static SufficientStats of(float[][] x, float[][] y) {
    SufficientStats s = new SufficientStats(x[0].length, y[0].length);
    s.add(x, y);
    return s;
  }

  /**
   * Adds k pairs: n += k, Σ += column sums, XᵀX += XₖᵀXₖ, YᵀY += YₖᵀYₖ, XᵀY += XₖᵀYₖ. Pairs that share one image row
   * (the same {@code float[]} object in {@code y}, as a caller passes for an image's captions) are added as that row
   * once, weighted by its pairs (see {@link #update}).
   */
  public void add(float[][] x, float[][] y) {
    update(x, y, 1.0);
  }

  /** Removes k pairs added before (a replaced pair leaves the statistics). */
  public void subtract(float[][] x, float[][] y) {
    update(x, y, -1.0);
  }

  /**
   * The rank-k update, grouped by image row: with u distinct rows among {@code y} (the same object; an image has
   * about five captions), YᵀY gets Σ wᵤ·yᵤyᵤᵀ from the u rows weighted by their pair counts, and XᵀY gets Σ (Σ x)ᵤ·yᵤᵀ
   * from each row's summed captions: the same sums in another order, for u/k of the two products' work, which is
   * nearly all of it (dy = 5,376 against dx = 1,152 for the default encoders).
   */
  private void update(float[][] x, float[][] y, double sign) {
    if (x.length != y.length) {
      throw new IllegalArgumentException(x.length + " text rows but " + y.length + " image rows");
    }
    if (x.length == 0) {
      return;
    }
    if (x[0].length != dx || y[0].length != dy) {
      throw new IllegalArgumentException("pairs of " + x[0].length + "×" + y[0].length + ", statistics of "
          + dx + "×" + dy);
    }
    Map<float[], Integer> rowOf = new IdentityHashMap<>();
    int[] group = new int[y.length];
    for (int i = 0; i < y.length; i++) {
      group[i] = rowOf.computeIfAbsent(y[i], r -> rowOf.size());
    }
    int u = rowOf.size();
    double[] weights = new double[u];
    double[] textSums = new double[u * dx];
    for (int i = 0; i < x.length; i++) {
      weights[group[i]]++;
      for (int j = 0, o = group[i] * dx; j < dx; j++) {
        textSums[o + j] += x[i][j];
      }
    }
    float[][] images = new float[u][];
    rowOf.forEach((row, g) -> images[g] = row);
    INDArray xk = Linalg.matrix(x);
    INDArray yu = Linalg.matrix(images);
    INDArray xu = Nd4j.create(textSums, new long[] {u, dx}, DataType.DOUBLE);
    INDArray w = Nd4j.create(weights, new long[] {u, 1}, DataType.DOUBLE);
    INDArray yw = yu.mulColumnVector(w);
    INDArray xs = xu.sum(0);
    INDArray ys = yw.sum(0);
    sx.addi(xs.reshape(1, dx).muli(sign));
    sy.addi(ys.reshape(1, dy).muli(sign));
    // accumulated in place (C = sign·AᵀB + C): a product held apart would be another dy × dy float64 per batch,
    // off the Java heap, left for a collection that the small Java objects rarely trigger
    Nd4j.gemm(xk, xk, xx, true, false, sign, 1.0);
    Nd4j.gemm(yw, yu, yy, true, false, sign, 1.0);
    Nd4j.gemm(xu, yu, xy, true, false, sign, 1.0);
    Linalg.release(xk, yu, xu, w, yw, xs, ys);
    n += sign > 0 ? x.length : -x.length;
  }

  public long count() {
    return n;
  }

  public int textDim() {
    return dx;
  }

  public int imageDim() {
    return dy;
  }

  /** Mean of x (1×dx), or zeros when empty. */
  public INDArray meanX() {
    return n == 0 ? sx.dup() : sx.div(n);
  }

  public INDArray meanY() {
    return n == 0 ? sy.dup() : sy.div(n);
  }

  // Covariance-like second moments divided by n; centred: XᵀX/n − μxᵀμx, otherwise XᵀX/n.
  public INDArray cxx(boolean centred) {
    return moment(xx, meanX(), meanX(), centred);
  }

  public INDArray cyy(boolean centred) {
    return moment(yy, meanY(), meanY(), centred);
  }

  public INDArray cxy(boolean centred) {
    return moment(xy, meanX(), meanY(), centred);
  }

  private INDArray moment(INDArray raw, INDArray mu1, INDArray mu2, boolean centred) {
    INDArray m = raw.div(Math.max(n, 1));
    if (centred) {
      INDArray outer = mu1.transpose().mmul(mu2);
      m.subi(outer);
      Linalg.release(outer);
    }
    Linalg.release(mu1, mu2);
    return m;
  }

  /** Raw sums, for tests and snapshots. */
  public INDArray rawXx() {
    return xx;
  }

  public INDArray rawYy() {
    return yy;
  }

  public INDArray rawXy() {
    return xy;
  }

  /** An independent copy (off-heap, one array each: no byte round trip), for a refit that runs beside updates. */
  public SufficientStats copy() {
    return new SufficientStats(dx, dy, n, sx.dup(), sy.dup(), xx.dup(), yy.dup(), xy.dup());
  }

  /** Frees the arrays now instead of at a later collection; the statistics cannot be used afterwards. */
  public void release() {
    Linalg.release(sx, sy, xx, yy, xy);
  }

  /** A snapshot: dx, dy, n, then Σx, Σy, XᵀX, YᵀY, XᵀY as float64 little-endian. */
  public byte[] toBytes() {
    long doubles = (long) dx + dy + (long) dx * dx + (long) dy * dy + (long) dx * dy;
    ByteBuffer b = ByteBuffer.allocate((int) (16 + doubles * 8)).order(ByteOrder.LITTLE_ENDIAN);
    b.putInt(dx).putInt(dy).putLong(n);
    for (INDArray a : new INDArray[] {sx, sy, xx, yy, xy}) {
      for (double v : a.dup('c').data().asDouble()) {
        b.putDouble(v);
      }
    }
    return b.array();
  }

  public static SufficientStats fromBytes(byte[] bytes) {
    ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
    int dx = b.getInt();
    int dy = b.getInt();
    long n = b.getLong();
    return new SufficientStats(dx, dy, n, read(b, 1, dx), read(b, 1, dy), read(b, dx, dx), read(b, dy, dy),
        read(b, dx, dy));
  }

  private static INDArray read(ByteBuffer b, int rows, int cols) {
    double[] d = new double[rows * cols];
    for (int i = 0; i < d.length; i++) {
      d[i] = b.getDouble();
    }
    return Nd4j.create(d, new long[] {rows, cols}, DataType.DOUBLE);
  }
}
