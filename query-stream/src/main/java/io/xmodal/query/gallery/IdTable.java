package io.xmodal.query.gallery;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Item ids and a dense slot number for each, without a Java object per id: the ids' UTF-8 bytes in one arena (each
 * a varint length, then the bytes), the arena offset of each slot's id in an int array, and an open-addressing table
 * (linear probing, at most half full) holding slot + 1 per entry (0: empty) from id to slot. About 5 + length bytes
 * per id for arena and offset, and 8 to 16 for the table, where a {@code String}, a map node and a record per id cost
 * about 120 (a {@code String} alone about 56 for a 10-character id).
 *
 * <p>Removing an id frees its slot, which the next new id gets; when a reader may still name it, the owner waits
 * before removing it ({@link GalleryIndex} marks its item removed meanwhile). The arena is compacted once removed
 * ids take more than half of it. Ids up to 2 GiB of UTF-8 per table. Not thread-safe: its owner locks.
 */
final class IdTable {

  private static final int MIN_TABLE = 32;

  private byte[] arena = new byte[256];
  private int arenaEnd;
  /** Bytes of freed ids still in the arena. */
  private int garbage;
  /** Per slot: the arena offset of its id, -1 once freed. */
  private int[] offsets = new int[16];
  /** Slots handed out so far (the highest + 1); some may be free. */
  private int slots;
  private int[] free = new int[0];
  private int freeCount;
  /** Slot + 1 per entry, 0 for empty; its length a power of two. */
  private int[] table = new int[MIN_TABLE];
  private int size;

  /** The slot of {@code id}, or -1 when it is not in the table. */
  int slotOf(String id) {
    byte[] key = id.getBytes(StandardCharsets.UTF_8);
    return table[position(key)] - 1;
  }

  /** The slot of {@code id}: its slot if it is in the table, otherwise a new one (a freed slot if there is one). */
  int put(String id) {
    byte[] key = id.getBytes(StandardCharsets.UTF_8);
    int at = position(key);
    if (table[at] != 0) {
      return table[at] - 1;
    }
    int slot = freeCount > 0 ? free[--freeCount] : newSlot();
    offsets[slot] = append(key);
    table[at] = slot + 1;
    size++;
    if (2 * size > table.length) {
      rehash(table.length * 2);
    }
    return slot;
  }

  /** Takes a slot's id out of the table; the slot is handed out again, its bytes dropped. Ignored for a free slot. */
  void remove(int slot) {
    if (slot < 0 || slot >= slots || offsets[slot] < 0) {
      return;
    }
    int mask = table.length - 1;
    int i = hashOfSlot(slot) & mask;
    while (table[i] != slot + 1) {
      i = (i + 1) & mask;
    }
    ProbeTables.remove(table, i, this::hashOfSlot);
    size--;
    garbage += entryLength(offsets[slot]);
    offsets[slot] = -1;
    if (freeCount == free.length) {
      free = Arrays.copyOf(free, Math.max(16, free.length + free.length / 2));
    }
    free[freeCount++] = slot;
    if (garbage > Math.max(4096, arenaEnd / 2)) {
      compact();
    }
  }

  /** The id of a slot, or null for a free or unknown slot. */
  String id(int slot) {
    if (slot < 0 || slot >= slots || offsets[slot] < 0) {
      return null;
    }
    int at = offsets[slot];
    int length = lengthAt(at);
    return new String(arena, at + varintLength(length), length, StandardCharsets.UTF_8);
  }

  /** Ids in the table. */
  int size() {
    return size;
  }

  /** Slots handed out so far: every slot number is below this. */
  int slots() {
    return slots;
  }

  /** Forgets every id, and gives back the memory. */
  void clear() {
    arena = new byte[256];
    arenaEnd = 0;
    garbage = 0;
    offsets = new int[16];
    slots = 0;
    free = new int[0];
    freeCount = 0;
    table = new int[MIN_TABLE];
    size = 0;
  }

  private int newSlot() {
    if (slots == offsets.length) {
      offsets = Arrays.copyOf(offsets, grown(offsets.length));
    }
    return slots++;
  }

  /** A quarter more (at least 16): at most a fifth of an array is ever headroom, for 5 copies per element. */
  static int grown(int length) {
    long n = Math.max(length + 16L, length + length / 4L);
    if (n > Integer.MAX_VALUE - 8) {
      throw new IllegalStateException("more than " + (Integer.MAX_VALUE - 8) + " entries in one gallery partition");
    }
    return (int) n;
  }

  /** Writes a varint length and the bytes at the end of the arena; their offset. */
  private int append(byte[] key) {
    int need = varintLength(key.length) + key.length;
    if (arenaEnd + (long) need > arena.length) {
      long n = Math.max(arenaEnd + (long) need, grown(arena.length));
      if (n > Integer.MAX_VALUE - 8) {
        throw new IllegalStateException("item ids of one gallery partition over 2 GiB");
      }
      arena = Arrays.copyOf(arena, (int) n);
    }
    int at = arenaEnd;
    int v = key.length;
    while (v >= 0x80) {
      arena[arenaEnd++] = (byte) (v | 0x80);
      v >>>= 7;
    }
    arena[arenaEnd++] = (byte) v;
    System.arraycopy(key, 0, arena, arenaEnd, key.length);
    arenaEnd += key.length;
    return at;
  }

  /** Copies the ids still named by a slot into an arena with a quarter of headroom. */
  private void compact() {
    byte[] next = new byte[Math.max(256, (arenaEnd - garbage) + (arenaEnd - garbage) / 4)];
    int end = 0;
    for (int s = 0; s < slots; s++) {
      int at = offsets[s];
      if (at >= 0) {
        int n = entryLength(at);
        System.arraycopy(arena, at, next, end, n);
        offsets[s] = end;
        end += n;
      }
    }
    arena = next;
    arenaEnd = end;
    garbage = 0;
  }

  private static int varintLength(int v) {
    int n = 1;
    while (v >= 0x80) {
      v >>>= 7;
      n++;
    }
    return n;
  }

  /** Bytes of the arena entry at {@code at}: its varint and its id. */
  private int entryLength(int at) {
    int length = lengthAt(at);
    return varintLength(length) + length;
  }

  /** The id length the varint at {@code at} holds. */
  private int lengthAt(int at) {
    int length = 0;
    int shift = 0;
    byte b;
    do {
      b = arena[at++];
      length |= (b & 0x7F) << shift;
      shift += 7;
    } while (b < 0);
    return length;
  }

  /** The table position holding {@code key}, or the empty position where it would go. */
  private int position(byte[] key) {
    int mask = table.length - 1;
    int i = hash(key, 0, key.length) & mask;
    while (table[i] != 0 && !idEquals(table[i] - 1, key)) {
      i = (i + 1) & mask;
    }
    return i;
  }

  private boolean idEquals(int slot, byte[] key) {
    int at = offsets[slot];
    int length = lengthAt(at);
    at += varintLength(length);
    return length == key.length && Arrays.equals(arena, at, at + length, key, 0, key.length);
  }

  private int hashOfSlot(int slot) {
    int at = offsets[slot];
    int length = lengthAt(at);
    at += varintLength(length);
    return hash(arena, at, at + length);
  }

  /** A polynomial hash of the bytes, then murmur3's finaliser, so that similar ids spread over the table. */
  private static int hash(byte[] b, int from, int to) {
    int h = 1;
    for (int i = from; i < to; i++) {
      h = 31 * h + b[i];
    }
    h ^= h >>> 16;
    h *= 0x85EBCA6B;
    h ^= h >>> 13;
    h *= 0xC2B2AE35;
    return h ^ (h >>> 16);
  }

  private void rehash(int length) {
    int[] old = table;
    table = new int[length];
    int mask = length - 1;
    for (int v : old) {
      if (v != 0) {
        int j = hashOfSlot(v - 1) & mask;
        while (table[j] != 0) {
          j = (j + 1) & mask;
        }
        table[j] = v;
      }
    }
  }
}
