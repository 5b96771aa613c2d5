package io.xmodal.encode;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class OffsetBatchTest {

  KeyValueStore<String, Long> store;
  final List<List<Long>> reads = new ArrayList<>();

  @BeforeEach
  void createStore() {
    store = Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore("pending"), Serdes.String(), Serdes.Long())
        .withLoggingDisabled().build();
    store.init(new MockProcessorContext<>().getStateStoreContext(), store);
  }

  /** A source partition holding {@code records} (offset → key, value); remembers what it was asked for. */
  OffsetBatch.SourceReader<String> source(Map<Long, KeyValue<String, String>> records) {
    return offsets -> {
      reads.add(List.copyOf(offsets));
      Map<Long, KeyValue<String, String>> found = new java.util.HashMap<>();
      offsets.forEach(o -> {
        if (records.containsKey(o)) {
          found.put(o, records.get(o));
        }
      });
      return found;
    };
  }

  @Test
  void shouldKeepOnlyKeysAndOffsetsInTheStoreAndDrainValuesFromMemoryInOffsetOrder() {
    // Given records added, one key re-sent at a later offset
    OffsetBatch<String> batch = new OffsetBatch<>(store, 10, source(Map.of()));
    batch.add("c", 5, "C");
    batch.add("a", 3, "A-old");
    batch.add("a", 7, "A");

    // Then the store holds each key's offset, not its value
    assertThat(store.get("a")).isEqualTo(7L);
    assertThat(store.get("c")).isEqualTo(5L);
    assertThat(store.approximateNumEntries()).isEqualTo(2);

    // When the batch is drained
    List<KeyValue<String, String>> drained = batch.drain();

    // Then each key comes once, with its latest value, in offset order, without reading the source; the store is empty
    assertThat(drained).containsExactly(KeyValue.pair("c", "C"), KeyValue.pair("a", "A"));
    assertThat(reads).isEmpty();
    assertThat(batch.lastReadBack()).isZero();
    assertThat(batch.isEmpty()).isTrue();
    try (var all = store.all()) {
      assertThat(all.hasNext()).isFalse();
    }
  }

  @Test
  void shouldReadBackFromTheSourceWhatARestoredStoreNamesAndMemoryDoesNotHold() {
    // Given an instance that buffered three records and died (its store as restored from the changelog)
    OffsetBatch<String> before = new OffsetBatch<>(store, 10, source(Map.of()));
    before.add("a", 3, "A");
    before.add("b", 4, "B");
    before.add("gone", 6, "G");
    // and the source partition as it is now (offset 6 compacted away after a later version of its key)
    Map<Long, KeyValue<String, String>> partition = Map.of(3L, KeyValue.pair("a", "A"), 4L, KeyValue.pair("b", "B"),
        8L, KeyValue.pair("c", "C"));

    // When a new instance on the same store buffers one more record and drains
    OffsetBatch<String> after = new OffsetBatch<>(store, 10, source(partition));
    assertThat(after.isEmpty()).isFalse();
    after.add("c", 8, "C");
    List<KeyValue<String, String>> drained = after.drain();

    // Then the restored records were read back by offset (only those), the new one came from memory, and the one
    // whose offset is gone was dropped
    assertThat(drained).containsExactly(KeyValue.pair("a", "A"), KeyValue.pair("b", "B"), KeyValue.pair("c", "C"));
    assertThat(reads).containsExactly(List.of(3L, 4L, 6L));
    assertThat(after.lastReadBack()).isEqualTo(2);
    assertThat(after.isEmpty()).isTrue();
  }

  @Test
  void shouldCountRestoredRecordsTowardsAFullBatch() {
    OffsetBatch<String> before = new OffsetBatch<>(store, 3, source(Map.of()));
    before.add("a", 1, "A");
    before.add("b", 2, "B");

    OffsetBatch<String> after = new OffsetBatch<>(store, 3, source(Map.of()));

    assertThat(after.add("c", 3, "C")).isTrue();
  }

  @Test
  void shouldForgetARemovedRecord() {
    OffsetBatch<String> batch = new OffsetBatch<>(store, 10, source(Map.of()));
    batch.add("a", 1, "A");
    batch.add("b", 2, "B");

    assertThat(batch.remove("a")).isTrue();
    assertThat(batch.remove("a")).isFalse();

    assertThat(batch.drain()).containsExactly(KeyValue.pair("b", "B"));
    assertThat(reads).isEmpty();
  }
}
