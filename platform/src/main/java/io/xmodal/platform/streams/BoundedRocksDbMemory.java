package io.xmodal.platform.streams;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.WriteBufferManager;

/**
 * One memory budget for every RocksDB state store of a JVM ({@code XMODAL_ROCKSDB_MEMORY}, default 64m; all four
 * services' stores when they share the JVM, global stores included): a block cache of that size shared by all
 * stores, which also holds their index and filter blocks, and one write-buffer manager that charges all their
 * memtables to that cache and flushes them to keep them near half of it. Kafka Streams' documented pattern for
 * bounding RocksDB's memory (its {@code BoundedMemoryRocksDBConfig}); without it every store has a block cache of its
 * own (50 MB), up to three 16-MB memtables, and its index and filter blocks outside any cache.
 *
 * <p>Kafka Streams creates one instance per store; the cache and the manager are per JVM and budget, shared by every
 * instance, and stay open as long as the JVM (closing a store leaves them to the others).
 */
public final class BoundedRocksDbMemory implements RocksDBConfigSetter {

  /** The streams config that carries the budget in bytes; {@link StreamsSettings} sets it. */
  public static final String BYTES_CONFIG = "xmodal.rocksdb.memory.bytes";
  /** The budget when {@link #BYTES_CONFIG} is absent: 64 MiB. */
  public static final long DEFAULT_BYTES = 64L << 20;
  /** Share of the cache kept for index and filter blocks, so data blocks do not evict them (Kafka's example: 0.1). */
  static final double INDEX_FILTER_SHARE = 0.1;

  private static final ConcurrentMap<Long, Shared> SHARED = new ConcurrentHashMap<>();

  /** The cache and the write-buffer manager of every store with one budget. */
  record Shared(Cache cache, WriteBufferManager writeBuffers) {}

  /** The cache and the manager for this budget, created by the first store that asks. */
  static Shared shared(long bytes) {
    return SHARED.computeIfAbsent(bytes, b -> {
      RocksDB.loadLibrary();
      Cache cache = new LRUCache(b, -1, false, INDEX_FILTER_SHARE);
      return new Shared(cache, new WriteBufferManager(b / 2, cache));
    });
  }

  @Override
  public void setConfig(String storeName, Options options, Map<String, Object> configs) {
    Shared shared = shared(budget(configs));
    // the table config Kafka Streams set up (keeps its other defaults and lets it read the cache for its metrics)
    BlockBasedTableConfig table = (BlockBasedTableConfig) options.tableFormatConfig();
    table.setBlockCache(shared.cache());
    table.setCacheIndexAndFilterBlocks(true);
    table.setCacheIndexAndFilterBlocksWithHighPriority(true);
    table.setPinTopLevelIndexAndFilter(true);
    options.setWriteBufferManager(shared.writeBuffers());
    options.setTableFormatConfig(table);
  }

  @Override
  public void close(String storeName, Options options) {
    // nothing of this store's own: the cache and the write-buffer manager serve the JVM's other stores
  }

  static long budget(Map<String, Object> configs) {
    Object v = configs.get(BYTES_CONFIG);
    if (v == null) {
      return DEFAULT_BYTES;
    }
    long bytes = v instanceof Number n ? n.longValue() : Long.parseLong(v.toString().strip());
    if (bytes <= 0) {
      throw new IllegalArgumentException(BYTES_CONFIG + " must be positive, got " + bytes);
    }
    return bytes;
  }
}
