package io.xmodal.encode;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Records waiting to be encoded together, held as key → source offset in a changelogged store, and their values in
 * memory only. The values are already in the source topic, so they are not written a second time (for an image,
 * ~20 KB per record to the changelog): what the store must survive is which records wait, and that is the offsets.
 *
 * <p>Why a crash loses nothing and exactly-once holds: the store's changelog is written in the same transaction as
 * the input offsets it covers, so after a crash the restored store names exactly the records that were consumed and
 * committed but not yet encoded; their values are read back from the source partition at those offsets
 * ({@link SourceReader}, read_committed: the records were consumed read_committed, so they are there). A value whose
 * offset is gone (compaction keeps only a key's latest value) needs no read: the key's later record replaced the
 * entry (the store is keyed by key) or comes after the committed position and is processed again. A re-sent key
 * replaces its waiting record; a tombstone removes it.
 *
 * @param <V> the event type
 */
final class OffsetBatch<V> {

  /** Reads records of the source partition back by offset; only needed after a restore. */
  @FunctionalInterface
  interface SourceReader<V> {
    /** The values at {@code offsets} that are still in the partition, by offset. */
    Map<Long, KeyValue<String, V>> read(List<Long> offsets);
  }

  private record Held<V>(long offset, V value) {}

  private final KeyValueStore<String, Long> store;
  private final int size;
  private final SourceReader<V> source;
  private final Map<String, Held<V>> values = new HashMap<>();
  private long waiting;

  OffsetBatch(KeyValueStore<String, Long> store, int size, SourceReader<V> source) {
    this.store = store;
    this.size = size;
    this.source = source;
    this.waiting = store.approximateNumEntries();
  }

  /** Adds (or replaces) the record at {@code offset}; true when the batch is full. */
  boolean add(String key, long offset, V value) {
    if (store.get(key) == null) {
      waiting++;
    }
    store.put(key, offset);
    values.put(key, new Held<>(offset, value));
    return waiting >= size;
  }

  /** Drops a waiting record (its item was deleted); true if one was waiting. */
  boolean remove(String key) {
    values.remove(key);
    if (store.get(key) == null) {
      return false;
    }
    store.delete(key);
    waiting--;
    return true;
  }

  boolean isEmpty() {
    return waiting == 0;
  }

  /** How many of the records the last {@link #drain} returned had to be read back from the source. */
  private int readBack;

  int lastReadBack() {
    return readBack;
  }

  /**
   * Everything waiting, in source-offset order, removed from the store: values from memory, or read back from the
   * source for entries this instance did not see (restored from the changelog).
   */
  List<KeyValue<String, V>> drain() {
    List<KeyValue<String, V>> batch = new ArrayList<>();
    readBack = 0;
    if (waiting == 0) {
      values.clear();
      return batch;
    }
    TreeMap<Long, String> byOffset = new TreeMap<>();
    try (KeyValueIterator<String, Long> all = store.all()) {
      all.forEachRemaining(kv -> byOffset.put(kv.value, kv.key));
    }
    List<Long> missing = new ArrayList<>();
    for (Map.Entry<Long, String> e : byOffset.entrySet()) {
      Held<V> held = values.get(e.getValue());
      if (held == null || held.offset() != e.getKey()) {
        missing.add(e.getKey());
      }
    }
    Map<Long, KeyValue<String, V>> read = missing.isEmpty() ? Map.of() : source.read(missing);
    for (Map.Entry<Long, String> e : byOffset.entrySet()) {
      String key = e.getValue();
      Held<V> held = values.get(key);
      if (held != null && held.offset() == e.getKey()) {
        batch.add(KeyValue.pair(key, held.value()));
      } else {
        KeyValue<String, V> found = read.get(e.getKey());
        if (found != null && key.equals(found.key) && found.value != null) {
          batch.add(KeyValue.pair(key, found.value));
          readBack++;
        }
      }
      store.delete(key);
    }
    values.clear();
    waiting = 0;
    return batch;
  }
}
