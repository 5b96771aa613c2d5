package io.xmodal.mapping;

/** Top-k selection without sorting everything. */
public final class TopK {

  private TopK() {}

  /** The k largest values, in no particular order. */
  public static float[] largest(float[] values, int k) {
    return largest(values, 0, values.length, k);
  }

  /** The k largest of values[from, to), largest first (a sorted insertion buffer). */
  public static float[] largest(float[] values, int from, int to, int k) {
    int kk = Math.max(0, Math.min(k, to - from));
    float[] best = new float[kk];
    int filled = 0;
    for (int i = from; i < to && kk > 0; i++) {
      float v = values[i];
      if (filled == kk && v <= best[kk - 1]) {
        continue;
      }
      int pos = filled < kk ? filled++ : kk - 1;
      while (pos > 0 && best[pos - 1] < v) {
        best[pos] = best[pos - 1];
        pos--;
      }
      best[pos] = v;
    }
    return best;
  }

  /** Indices of the k largest values, best first (a sorted insertion buffer: O(n) for the small k of retrieval). */
  public static int[] indices(float[] values, int k) {
    int kk = Math.min(k, values.length);
    if (kk <= 0) {
      return new int[0];
    }
    int[] idx = new int[kk];
    float[] best = new float[kk];
    int filled = 0;
    for (int i = 0; i < values.length; i++) {
      float v = values[i];
      if (filled == kk && v <= best[kk - 1]) {
        continue;
      }
      int pos = filled < kk ? filled++ : kk - 1;
      while (pos > 0 && best[pos - 1] < v) {
        best[pos] = best[pos - 1];
        idx[pos] = idx[pos - 1];
        pos--;
      }
      best[pos] = v;
      idx[pos] = i;
    }
    return idx;
  }
}
