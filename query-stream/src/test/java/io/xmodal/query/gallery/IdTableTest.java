package io.xmodal.query.gallery;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class IdTableTest {

  @Test
  void shouldGiveEachNewIdItsOwnSlotAndFindIt() {
    // Given an empty table
    IdTable table = new IdTable();

    // When three ids are put
    int a = table.put("a");
    int b = table.put("img-42");
    int c = table.put("");

    // Then each has its own slot, is found there and named by it
    assertThat(List.of(a, b, c)).containsExactly(0, 1, 2);
    assertThat(table.slotOf("a")).isEqualTo(a);
    assertThat(table.slotOf("img-42")).isEqualTo(b);
    assertThat(table.slotOf("")).isEqualTo(c);
    assertThat(table.id(b)).isEqualTo("img-42");
    assertThat(table.id(c)).isEmpty();
    assertThat(table.size()).isEqualTo(3);
    assertThat(table.slots()).isEqualTo(3);
  }

  @Test
  void shouldKeepTheSlotWhenAnIdIsPutAgain() {
    // Given an id in the table
    IdTable table = new IdTable();
    int slot = table.put("cap-7");

    // When it is put again (an item replaced)
    int again = table.put("cap-7");

    // Then it keeps its slot, and nothing was added
    assertThat(again).isEqualTo(slot);
    assertThat(table.size()).isEqualTo(1);
    assertThat(table.slots()).isEqualTo(1);
  }

  @Test
  void shouldFindNoSlotForAnAbsentId() {
    IdTable table = new IdTable();
    assertThat(table.slotOf("nope")).isEqualTo(-1);
    table.put("yes");
    assertThat(table.slotOf("nope")).isEqualTo(-1);
    assertThat(table.slotOf("ye")).isEqualTo(-1);
    assertThat(table.slotOf("yess")).isEqualTo(-1);
    table.remove(5); // a slot never handed out: nothing happens
    assertThat(table.slotOf("yes")).isZero();
    assertThat(table.id(5)).isNull();
    assertThat(table.id(-1)).isNull();
  }

  @Test
  void shouldForgetARemovedIdAndHandItsSlotToTheNextNewId() {
    // Given two ids
    IdTable table = new IdTable();
    int a = table.put("a");
    int b = table.put("b");

    // When one is removed
    table.remove(a);

    // Then it is no longer found nor named, the other still is, and the next new id gets its slot
    assertThat(table.slotOf("a")).isEqualTo(-1);
    assertThat(table.id(a)).isNull();
    assertThat(table.size()).isEqualTo(1);
    assertThat(table.slotOf("b")).isEqualTo(b);
    int c = table.put("c");
    assertThat(c).isEqualTo(a);
    assertThat(table.id(c)).isEqualTo("c");
    assertThat(table.slots()).isEqualTo(2);

    // and removing a slot twice changes nothing more
    table.remove(b);
    table.remove(b);
    assertThat(table.size()).isEqualTo(1);
    assertThat(table.put("d")).isEqualTo(b);
  }

  @Test
  void shouldStoreIdsOfAnyLengthAndScriptByteForByte() {
    // Given ids whose UTF-8 length needs a two- and three-byte varint, and ids outside ASCII
    IdTable table = new IdTable();
    List<String> ids = List.of("x".repeat(127), "y".repeat(128), "z".repeat(20_000), "bild-ä", "图像-1", "🙂", "a\u0000b");

    // When they are put
    List<Integer> slots = new ArrayList<>();
    ids.forEach(id -> slots.add(table.put(id)));

    // Then each is found and named exactly
    for (int i = 0; i < ids.size(); i++) {
      assertThat(table.slotOf(ids.get(i))).isEqualTo(slots.get(i));
      assertThat(table.id(slots.get(i))).isEqualTo(ids.get(i));
    }
    assertThat(table.slotOf("y".repeat(127))).isEqualTo(-1);
  }

  @Test
  void shouldAgreeWithAHashMapThroughManyIdsGrowthRemovalsAndReuse() {
    // Given a table and a HashMap given the same 300,000 random puts and removes over 50,000 ids (the table grows, its
    // probe runs shift back on removal, slots are reused, the arena is compacted)
    IdTable table = new IdTable();
    Map<String, Integer> expected = new HashMap<>();
    Set<Integer> usedSlots = new HashSet<>();
    Random r = new Random(11);
    for (int step = 0; step < 300_000; step++) {
      String id = "img-" + r.nextInt(50_000);
      if (r.nextInt(3) > 0) {
        int slot = table.put(id);
        Integer before = expected.putIfAbsent(id, slot);
        if (before != null) {
          assertThat(slot).isEqualTo(before);
        } else {
          assertThat(usedSlots.add(slot)).as("slot %d handed out while in use", slot).isTrue();
        }
      } else {
        Integer before = expected.remove(id);
        assertThat(table.slotOf(id)).isEqualTo(before == null ? -1 : before);
        if (before != null) {
          assertThat(table.id(before)).isEqualTo(id);
          table.remove(before);
          usedSlots.remove(before);
        }
      }
    }

    // Then every id is found at its slot and named by it, nothing else is found, and slots were reused
    assertThat(table.size()).isEqualTo(expected.size());
    expected.forEach((id, slot) -> {
      assertThat(table.slotOf(id)).isEqualTo(slot);
      assertThat(table.id(slot)).isEqualTo(id);
    });
    for (int i = 0; i < 50_000; i++) {
      if (!expected.containsKey("img-" + i)) {
        assertThat(table.slotOf("img-" + i)).isEqualTo(-1);
      }
    }
    assertThat(table.slots()).isLessThan(50_000);
  }

  @Test
  void shouldForgetEverythingWhenCleared() {
    IdTable table = new IdTable();
    for (int i = 0; i < 1000; i++) {
      table.put("id-" + i);
    }
    table.clear();
    assertThat(table.size()).isZero();
    assertThat(table.slots()).isZero();
    assertThat(table.slotOf("id-1")).isEqualTo(-1);
    assertThat(table.put("id-1")).isZero();
  }
}
