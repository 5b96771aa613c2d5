package io.xmodal.mapping;

import java.util.PriorityQueue;

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

  /** Indices of the k largest values, best first. */
  public static int[] indices(float[] values, int k) {
    int kk = Math.min(k, values.length);
    PriorityQueue<Integer> heap = new PriorityQueue<>(kk + 1, (a, b) -> Float.compare(values[a], values[b]));
    for (int i = 0; i < values.length; i++) {
      if (heap.size() < kk) {
        heap.add(i);
      } else if (values[i] > values[heap.peek()]) {
        heap.poll();
        heap.add(i);
      }
    }
    int[] out = new int[heap.size()];
    for (int i = out.length - 1; i >= 0; i--) {
      out[i] = heap.poll();
    }
    return out;
  }
}
