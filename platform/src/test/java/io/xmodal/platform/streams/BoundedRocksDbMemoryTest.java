package io.xmodal.platform.streams;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.serde.PlainAvroSerdes;
import io.xmodal.platform.topics.TopicCatalogue;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;

class BoundedRocksDbMemoryTest {

  /** Kafka Streams hands the setter a table config whose cache it can read back; this one does the same. */
  private static final class TableConfigWithCache extends BlockBasedTableConfig {
    private Cache cache;

    @Override
    public BlockBasedTableConfig setBlockCache(Cache cache) {
      this.cache = cache;
      return super.setBlockCache(cache);
    }
  }

  private static Options storeOptions() {
    RocksDB.loadLibrary();
    Options options = new Options();
    options.setTableFormatConfig(new TableConfigWithCache());
    return options;
  }

  private static Cache cacheOf(Options options) {
    return ((TableConfigWithCache) options.tableFormatConfig()).cache;
  }

  @Test
  void shouldGiveEveryStoreOfABudgetOneSharedCacheAndWriteBufferManager() {
    Map<String, Object> configs = Map.of(BoundedRocksDbMemory.BYTES_CONFIG, 40L << 20);
    try (Options ingest = storeOptions(); Options trainer = storeOptions()) {
      // When two stores are configured by two setters, as Kafka Streams does (one instance per store)
      RocksDBConfigSetter first = new BoundedRocksDbMemory();
      RocksDBConfigSetter second = new BoundedRocksDbMemory();
      first.setConfig("ingest-dedup", ingest, configs);
      second.setConfig("trainer-pairs", trainer, configs);

      // Then both use the same cache and the same manager, which charges memtables to that cache
      BoundedRocksDbMemory.Shared shared = BoundedRocksDbMemory.shared(40L << 20);
      assertThat(cacheOf(ingest)).isSameAs(shared.cache()).isSameAs(cacheOf(trainer));
      assertThat(ingest.writeBufferManager()).isSameAs(shared.writeBuffers()).isSameAs(trainer.writeBufferManager());
      // and index and filter blocks are kept in it, with priority, instead of beside it
      BlockBasedTableConfig table = (BlockBasedTableConfig) ingest.tableFormatConfig();
      assertThat(table.cacheIndexAndFilterBlocks()).isTrue();
      assertThat(table.cacheIndexAndFilterBlocksWithHighPriority()).isTrue();
      assertThat(table.pinTopLevelIndexAndFilter()).isTrue();

      // and closing one store leaves the shared cache to the other
      first.close("ingest-dedup", ingest);
      assertThat(shared.cache().isOwningHandle()).isTrue();
    }
  }

  @Test
  void shouldKeepBudgetsApartAndDefaultTo64MiB() {
    assertThat(BoundedRocksDbMemory.shared(24L << 20).cache())
        .isNotSameAs(BoundedRocksDbMemory.shared(25L << 20).cache());
    assertThat(BoundedRocksDbMemory.budget(Map.of())).isEqualTo(64L << 20);
    assertThat(BoundedRocksDbMemory.budget(Map.of(BoundedRocksDbMemory.BYTES_CONFIG, "1048576"))).isEqualTo(1L << 20);
    assertThatThrownBy(() -> BoundedRocksDbMemory.budget(Map.of(BoundedRocksDbMemory.BYTES_CONFIG, 0L)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void shouldInstallTheSetterWithTheBudgetOfXmodalRocksdbMemory() {
    PlatformConfig config = PlatformConfig.from(ConfigSource.of(Map.of("KAFKA_BOOTSTRAP_SERVERS", "a:1",
        "XMODAL_ROCKSDB_MEMORY", "96m")));

    Properties streams = StreamsSettings.properties(config, "app",
        TopicCatalogue.create(config.topics(), new PlainAvroSerdes()), 100);

    assertThat(streams.get(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG)).isEqualTo(BoundedRocksDbMemory.class);
    assertThat(streams.get(BoundedRocksDbMemory.BYTES_CONFIG)).isEqualTo(96L << 20);
    PlatformConfig byDefault = PlatformConfig.from(ConfigSource.of(Map.of("KAFKA_BOOTSTRAP_SERVERS", "a:1")));
    assertThat(byDefault.rocksDbMemory().bytes()).isEqualTo(64L << 20);
  }

  @Test
  void shouldChargeAStreamsStoresMemtableToTheSharedCache(@TempDir Path state) {
    // Given a topology with a RocksDB store, run with the setter and a budget no other test uses
    long budget = (48L << 20) + 1;
    StreamsBuilder builder = new StreamsBuilder();
    builder.table("in", Consumed.with(Serdes.String(), Serdes.String()),
        Materialized.<String, String, KeyValueStore<Bytes, byte[]>>as("bounded-store")
            .withKeySerde(Serdes.String()).withValueSerde(Serdes.String()));
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, "bounded");
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    p.put(StreamsConfig.STATE_DIR_CONFIG, state.toString());
    p.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedRocksDbMemory.class);
    p.put(BoundedRocksDbMemory.BYTES_CONFIG, budget);

    try (TopologyTestDriver driver = new TopologyTestDriver(builder.build(), p)) {
      // When records are written to the store
      TestInputTopic<String, String> in = driver.createInputTopic("in", new StringSerializer(), new StringSerializer());
      for (int i = 0; i < 100; i++) {
        in.pipeInput("k" + i, "v".repeat(1000));
      }

      // Then the store reads them back, and its memtable is charged to the JVM's shared cache
      KeyValueStore<String, String> store = driver.getKeyValueStore("bounded-store");
      assertThat(store.get("k99")).hasSize(1000);
      assertThat(BoundedRocksDbMemory.shared(budget).cache().getUsage()).isPositive();
    }
  }
}
