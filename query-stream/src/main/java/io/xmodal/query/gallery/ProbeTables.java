package io.xmodal.query.gallery;

import java.util.function.IntUnaryOperator;

/** What the open-addressing tables ({@link IdTable}, {@link ContentTable}) share: linear probing over slot numbers + 1. */
final class ProbeTables {

  private ProbeTables() {}

  /**
   * Empties {@code table[i]} by backward-shift deletion: later entries of the probe run move into the gap, so lookups
   * need no tombstones. {@code homeOfSlot} gives a stored slot's hash; the table's length is a power of two.
   */
  static void remove(int[] table, int i, IntUnaryOperator homeOfSlot) {
    int mask = table.length - 1;
    int j = i;
    while (true) {
      j = (j + 1) & mask;
      if (table[j] == 0) {
        break;
      }
      int home = homeOfSlot.applyAsInt(table[j] - 1) & mask;
      boolean staysPut = i <= j ? (i < home && home <= j) : (i < home || home <= j);
      if (!staysPut) {
        table[i] = table[j];
        i = j;
      }
    }
    table[i] = 0;
  }
}
