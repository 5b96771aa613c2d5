package io.xmodal.mapping;

/** Top-k selection without sorting everything. */
public final class TopK {

  private TopK() {}

  /** The k largest values, in no particular order. */
  public static float[] largest(float[] values, int k) {
    int[] idx = indices(values, k);
    float[] out = new float[idx.length];
    for (int i = 0; i < idx.length; i++) {
      out[i] = values[idx[i]];
    }
    return out;
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
