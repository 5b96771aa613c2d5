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
  /** While on, until {@link #holdUntilNanos} ({@link System#nanoTime()}): see {@link #hold}. */
  private boolean held;
  private long holdUntilNanos;

  public MicroBatch(KeyValueStore<String, V> store, int size) {
    this.store = store;
    this.size = size;
    this.waiting = store.approximateNumEntries();
  }

  /** Adds (or replaces) a record; true when the batch is full (never while {@link #hold held}). */
  public boolean add(String key, V value) {
    if (store.get(key) == null) {
      waiting++;
    }
    store.put(key, value);
    return waiting >= size && !held();
  }

  /**
   * Holds the waiting records back for at least {@code d}: until then {@link #add} never says the batch is full and
   * {@link #ready} is false. For records put back to wait for something that is not there yet, so that they are not
   * drained and stored again at every punctuation.
   */
  public void hold(java.time.Duration d) {
    held = true;
    holdUntilNanos = System.nanoTime() + d.toNanos();
  }

  /** Whether a flush has something to drain now: records wait and no {@link #hold} is on. */
  public boolean ready() {
    return waiting > 0 && !held();
  }

  private boolean held() {
    if (held && System.nanoTime() - holdUntilNanos >= 0) {
      held = false;
    }
    return held;
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
    List<KeyValue<String, V>> batch = new ArrayList<>();
    if (waiting == 0) {
      return batch;
    }
    try (KeyValueIterator<String, V> all = store.all()) {
      all.forEachRemaining(batch::add);
    }
    for (KeyValue<String, V> kv : batch) {
      store.delete(kv.key);
    }
    waiting = 0;
    return batch;
  }
}
