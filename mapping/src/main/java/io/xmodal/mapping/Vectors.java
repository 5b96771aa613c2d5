package io.xmodal.mapping;

/** Row-vector helpers on float arrays. */
public final class Vectors {

  private Vectors() {}

  /** v / ‖v‖₂ (a copy; zero stays zero). */
  /** Whether every component is finite and the vector is not all zeros (a vector a map can use). */
  public static boolean usable(float[] v) {
    boolean nonZero = false;
    for (float f : v) {
      if (!Float.isFinite(f)) {
        return false;
      }
      nonZero |= f != 0;
    }
    return nonZero;
  }

  public static float[] l2(float[] v) {
    double s = 0;
    for (float f : v) {
      s += (double) f * f;
    }
    float inv = (float) (1.0 / Math.max(Math.sqrt(s), 1e-12));
    float[] out = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      out[i] = v[i] * inv;
    }
    return out;
  }

  public static float[][] l2Rows(float[][] rows) {
    float[][] out = new float[rows.length][];
    for (int i = 0; i < rows.length; i++) {
      out[i] = l2(rows[i]);
    }
    return out;
  }
}
