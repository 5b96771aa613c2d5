package io.xmodal.query.gallery;

import java.util.Arrays;

/**
 * Which gallery slot holds an item of a given content and encoder: a 64-bit key per slot ({@link #key}: a hash of the
 * item's content hash and encoder key; 0 for none) and an open-addressing table (linear probing, at most half full)
 * of slot + 1 per entry (0: empty) from key to slot, in the manner of {@link IdTable}. About 16 bytes per item: a long
 * per slot and 4 to 8 bytes of table. One slot per key: when several items have the same content and encoder, the
 * latest one set holds the key (any of them answers alike), and once it goes the content is not found until one of
 * them is set again, so a query with that content is encoded, as it would be without this table.
 *
 * <p>A key is a 64-bit hash, so two contents could share one: whoever uses the slot found checks the item's full
 * content hash and encoder (a mismatch then only costs an encoding). Not thread-safe: its owner
 * ({@link GalleryIndex}) locks.
 */
final class ContentTable {

  private static final int MIN_TABLE = 32;

  /** Per slot: its key, or 0 when the slot holds no key. */
  private long[] keys = new long[0];
  /** Slot + 1 per entry, 0 for empty; its length a power of two. */
  private int[] table = new int[MIN_TABLE];
  private int size;

  /**
   * The key of an item of content {@code contentHash} encoded by {@code encoderKey}: FNV-1a over both (NUL between),
   * never 0.
   */
  static long key(String contentHash, String encoderKey) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0; i < contentHash.length(); i++) {
      h = (h ^ contentHash.charAt(i)) * 0x100000001b3L;
    }
    h *= 0x100000001b3L; // the NUL between the two
    for (int i = 0; i < encoderKey.length(); i++) {
      h = (h ^ encoderKey.charAt(i)) * 0x100000001b3L;
    }
    return h == 0 ? 1 : h;
  }

  /** The slot holding {@code key}, or -1. */
  int slotOf(long key) {
    int entry = table[position(key)];
    return entry - 1;
  }

  /**
   * Gives {@code slot} the key {@code key} (0: none), in place of the one it had; a slot that held {@code key} before
   * gives it up.
   */
  void set(int slot, long key) {
    clear(slot);
    if (key == 0) {
      return;
    }
    if (slot >= keys.length) {
      keys = Arrays.copyOf(keys, Math.max(slot + 1, IdTable.grown(keys.length)));
    }
    int at = position(key);
    if (table[at] != 0) {
      keys[table[at] - 1] = 0; // the latest item of this content and encoder holds the key
    } else {
      size++;
    }
    table[at] = slot + 1;
    keys[slot] = key;
    if (2 * size > table.length) {
      rehash(table.length * 2);
    }
  }

  /** Takes {@code slot}'s key out of the table (the item is gone, or changed). */
  void clear(int slot) {
    if (slot >= keys.length || keys[slot] == 0) {
      return;
    }
    int i = position(keys[slot]);
    keys[slot] = 0;
    ProbeTables.remove(table, i, s -> hash(keys[s]));
    size--;
    if (table.length > MIN_TABLE && 8 * size < table.length) {
      rehash(table.length / 2);
    }
  }

  /** Keys held. */
  int size() {
    return size;
  }

  /** Forgets every key, and gives back the memory. */
  void reset() {
    keys = new long[0];
    table = new int[MIN_TABLE];
    size = 0;
  }

  /** The table position holding {@code key}, or the empty position where it would go. */
  private int position(long key) {
    int mask = table.length - 1;
    int i = hash(key) & mask;
    while (table[i] != 0 && keys[table[i] - 1] != key) {
      i = (i + 1) & mask;
    }
    return i;
  }

  private static int hash(long key) {
    long h = key * 0x9e3779b97f4a7c15L;
    return (int) (h ^ (h >>> 32));
  }

  private void rehash(int length) {
    int[] old = table;
    table = new int[length];
    int mask = length - 1;
    for (int v : old) {
      if (v != 0) {
        int j = hash(keys[v - 1]) & mask;
        while (table[j] != 0) {
          j = (j + 1) & mask;
        }
        table[j] = v;
      }
    }
  }
}
