package io.xmodal.query;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** What one metrics window saw: latencies and online recall hits, per direction. */
public final class WindowStats {

  /** Sent→answered per answered query: its completedAt minus its sentAt (two wall clocks: the client's and ours). */
  public final List<Double> latenciesMs = new ArrayList<>();
  final int[][] hits = new int[2][3];
  final int[] judged = new int[2];
  public int errors;
  /** Queries whose text or image was encoded, and those answered with a stored vector of the same content instead. */
  public int encoded;
  public int reused;

  static final int[] KS = {1, 5, 10};

  /** direction 0 = text→image, 1 = image→text; rank of the first expected id, or -1 if none in the hits. */
  public void judge(int direction, int rank) {
    judged[direction]++;
    for (int i = 0; i < KS.length; i++) {
      if (rank >= 0 && rank < KS[i]) {
        hits[direction][i]++;
      }
    }
  }

  /** Where a window's figures go: name, value, unit. */
  @FunctionalInterface
  public interface Sink {
    void metric(String name, double value, String unit);
  }

  /**
   * The figures every query-answering processor publishes per window: count, rate, errors, latency percentiles and
   * the online recall per direction.
   */
  public void publish(double seconds, Sink sink) {
    int answered = latenciesMs.size();
    sink.metric("query.count", answered, "queries");
    sink.metric("query.qps", answered / seconds, "queries/s");
    sink.metric("query.errors", errors, "queries");
    if (answered > 0) {
      sink.metric("query.latency.p50", percentile(50), "ms");
      sink.metric("query.latency.p95", percentile(95), "ms");
      sink.metric("query.latency.p99", percentile(99), "ms");
    }
    String[] dirs = {"t2i", "i2t"};
    for (int dir = 0; dir < 2; dir++) {
      if (judged[dir] == 0) {
        continue;
      }
      for (int i = 0; i < KS.length; i++) {
        sink.metric("query.online." + dirs[dir] + ".r" + KS[i], 100.0 * hits[dir][i] / judged[dir], "percent");
      }
      sink.metric("query.online." + dirs[dir] + ".judged", judged[dir], "queries");
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
