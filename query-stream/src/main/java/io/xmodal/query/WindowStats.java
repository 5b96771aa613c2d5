package io.xmodal.query;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** What one metrics window saw: latencies and online recall hits, per direction. */
final class WindowStats {

  /** Sent→answered per answered query: its completedAt minus its sentAt (two wall clocks: the client's and ours). */
  final List<Double> latenciesMs = new ArrayList<>();
  final int[][] hits = new int[2][3];
  final int[] judged = new int[2];
  int errors;

  static final int[] KS = {1, 5, 10};

  /** direction 0 = text→image, 1 = image→text; rank of the first expected id, or -1 if none in the hits. */
  void judge(int direction, int rank) {
    judged[direction]++;
    for (int i = 0; i < KS.length; i++) {
      if (rank >= 0 && rank < KS[i]) {
        hits[direction][i]++;
      }
    }
  }

  double percentile(double p) {
    if (latenciesMs.isEmpty()) {
      return 0;
    }
    double[] sorted = latenciesMs.stream().mapToDouble(Double::doubleValue).toArray();
    Arrays.sort(sorted);
    int idx = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, idx))];
  }
}
