package io.xmodal.query;

import java.util.List;

/**
 * The row of each id in a {@link ProjectedGallery}: open addressing with linear probing over an int table holding
 * row + 1 (0: empty), the ids themselves read from the gallery's list. About 8 to 16 bytes per row, where a
 * {@code HashMap<String, Integer>} entry costs about 56: at a projected dimension of 256 that is the difference
 * between meeting and missing 1.2 × the matrix's own size. The caller keeps the list consistent: an id is in the list
 * at the row the table holds for it whenever the table probes (put after adding to the list, remove before changing
 * it).
 */
final class RowIndex {

  private final List<String> ids;
  private int[] table = new int[16];
  private int size;

  RowIndex(List<String> ids) {
    this.ids = ids;
  }

  private static int mix(int h) {
    h *= 0x9E3779B9;
    return h ^ (h >>> 16);
  }

  /** The slot holding {@code id}, or the empty slot where it would go. */
  private int slot(String id) {
    int mask = table.length - 1;
    int i = mix(id.hashCode()) & mask;
    while (table[i] != 0 && !ids.get(table[i] - 1).equals(id)) {
      i = (i + 1) & mask;
    }
    return i;
  }

  Integer get(String id) {
    int v = table[slot(id)];
    return v == 0 ? null : v - 1;
  }

  void put(String id, int row) {
    int i = slot(id);
    if (table[i] == 0) {
      size++;
    }
    table[i] = row + 1;
    if (2 * size > table.length) {
      int[] old = table;
      table = new int[old.length * 2];
      int mask = table.length - 1;
      for (int v : old) {
        if (v != 0) {
          int j = mix(ids.get(v - 1).hashCode()) & mask;
          while (table[j] != 0) {
            j = (j + 1) & mask;
          }
          table[j] = v;
        }
      }
    }
  }

  /** Removes {@code id}; its row, or null. Later entries of its probe run shift back into the gap. */
  Integer remove(String id) {
    int i = slot(id);
    int v = table[i];
    if (v == 0) {
      return null;
    }
    int mask = table.length - 1;
    int j = i;
    while (true) {
      j = (j + 1) & mask;
      if (table[j] == 0) {
        break;
      }
      int home = mix(ids.get(table[j] - 1).hashCode()) & mask;
      boolean staysPut = i <= j ? (i < home && home <= j) : (i < home || home <= j);
      if (!staysPut) {
        table[i] = table[j];
        i = j;
      }
    }
    table[i] = 0;
    size--;
    return v - 1;
  }

  void clear() {
    table = new int[16];
    size = 0;
  }

  int size() {
    return size;
  }
}
