package io.xmodal.platform.service;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Resources the services of one process share, opened once per key and closed when the last service holding them
 * lets go: encode-stream and query-stream in one JVM load the models once (a Predictor per task still). Thread-safe.
 */
public final class SharedResources {

  private final Map<Object, Entry> entries = new HashMap<>();

  private static final class Entry {
    final AutoCloseable value;
    int holders;

    Entry(AutoCloseable value) {
      this.value = value;
    }
  }

  /** A hold on a shared resource: {@link #get} it; {@link #close} releases this hold. */
  public final class Handle<T extends AutoCloseable> implements AutoCloseable {
    private final Object key;
    private final T value;
    private boolean released;

    private Handle(Object key, T value) {
      this.key = key;
      this.value = value;
    }

    public T get() {
      return value;
    }

    @Override
    public void close() throws Exception {
      synchronized (SharedResources.this) {
        if (released) {
          return;
        }
        released = true;
        release(key);
      }
    }
  }

  /** The resource for {@code key} (equal keys share one), opened by {@code open} if nobody holds it yet. */
  @SuppressWarnings("unchecked")
  public synchronized <T extends AutoCloseable> Handle<T> acquire(Object key, Supplier<T> open) {
    Entry e = entries.get(key);
    if (e == null) {
      e = new Entry(open.get());
      entries.put(key, e);
    }
    e.holders++;
    return new Handle<>(key, (T) e.value);
  }

  private void release(Object key) throws Exception {
    Entry e = entries.get(key);
    if (e != null && --e.holders == 0) {
      entries.remove(key);
      e.value.close();
    }
  }

  /** The open resource for {@code key}, if a service holds it (no hold is taken). */
  @SuppressWarnings("unchecked")
  public synchronized <T extends AutoCloseable> Optional<T> peek(Object key) {
    Entry e = entries.get(key);
    return e == null ? Optional.empty() : Optional.of((T) e.value);
  }

  /** How many distinct resources are open. */
  public synchronized int open() {
    return entries.size();
  }
}
