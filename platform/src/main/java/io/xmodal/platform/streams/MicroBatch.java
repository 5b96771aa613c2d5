package io.xmodal.platform.streams;

import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Records waiting to be processed together, held in a (changelogged) state store rather than in memory: their input
 * offsets are committed with the store, so under exactly-once a crash loses none of them. A re-sent key replaces its
 * waiting record. Used by a processor: {@link #add} in {@code process}, {@link #drain} when the batch is full or a
 * punctuation fires.
 */
public final class MicroBatch<V> {

  private final KeyValueStore<String, V> store;
  private final int size;
  private long waiting;

  public MicroBatch(KeyValueStore<String, V> store, int size) {
    this.store = store;
    this.size = size;
    this.waiting = store.approximateNumEntries();
  }

  /** Adds (or replaces) a record; true when the batch is full. */
  public boolean add(String key, V value) {
    if (store.get(key) == null) {
      waiting++;
    }
    store.put(key, value);
    return waiting >= size;
  }

  /** Drops a waiting record (its item was deleted); true if one was waiting. */
  public boolean remove(String key) {
    if (store.get(key) == null) {
      return false;
    }
    store.delete(key);
    waiting--;
    return true;
  }

  public boolean isEmpty() {
    return waiting == 0;
  }

  /** Everything waiting, removed from the store. */
  public List<KeyValue<String, V>> drain() {
    return drain(Integer.MAX_VALUE);
  }

  /**
   * At most {@code max} of the waiting records (the first by key), removed from the store; the others wait on. A
   * processor that may have let many records pile up (held back, or restored after a restart) takes them a batch at a
   * time, so no single flush outlasts its transaction.
   */
  public List<KeyValue<String, V>> drain(int max) {
    List<KeyValue<String, V>> batch = new ArrayList<>();
    if (waiting == 0) {
      return batch;
    }
    try (KeyValueIterator<String, V> all = store.all()) {
      while (batch.size() < max && all.hasNext()) {
        batch.add(all.next());
      }
    }
    for (KeyValue<String, V> kv : batch) {
      store.delete(kv.key);
    }
    // the count is approximate after a restart: while a drain comes back full, at least one more flush looks again
    waiting = batch.size() < max ? 0 : Math.max(1, waiting - batch.size());
    return batch;
  }
}
