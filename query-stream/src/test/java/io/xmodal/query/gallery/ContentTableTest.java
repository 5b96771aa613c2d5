package io.xmodal.query.gallery;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ContentTableTest {

  @Test
  void shouldAgreeWithMapsThroughRandomSetsAndClears() {
    // Given a table and the two maps it stands for (key → slot, the latest set winning; slot → key)
    ContentTable table = new ContentTable();
    Map<Long, Integer> slotOfKey = new HashMap<>();
    Map<Integer, Long> keyOfSlot = new HashMap<>();
    Random r = new Random(5);

    // When 300,000 random sets and clears go by, over 4,000 slots and 3,000 keys (so keys move between slots, and
    // the table grows and shrinks)
    for (int op = 0; op < 300_000; op++) {
      int slot = r.nextInt(op < 150_000 ? 4_000 : 400);
      long key = op % 7 == 0 ? 0 : 1 + r.nextInt(3_000) * 0x1_0000_0000L; // low bits equal: long probe runs
      Long old = keyOfSlot.remove(slot);
      if (old != null) {
        slotOfKey.remove(old);
      }
      if (r.nextInt(3) == 0) {
        table.clear(slot);
      } else {
        table.set(slot, key);
        if (key != 0) {
          Integer other = slotOfKey.put(key, slot);
          if (other != null) {
            keyOfSlot.remove(other);
          }
          keyOfSlot.put(slot, key);
        }
      }
    }

    // Then it finds every key where the maps do, and no other
    assertThat(table.size()).isEqualTo(slotOfKey.size());
    for (int k = 0; k < 3_000; k++) {
      long key = 1 + k * 0x1_0000_0000L;
      assertThat(table.slotOf(key)).as("key %d", k).isEqualTo(slotOfKey.getOrDefault(key, -1));
    }
  }

  @Test
  void shouldKeyContentAndEncoderTogether() {
    long key = ContentTable.key("ab12", "resnet50@cafe");

    assertThat(key).isNotZero().isEqualTo(ContentTable.key("ab12", "resnet50@cafe"))
        .isNotEqualTo(ContentTable.key("ab12", "mobilenetv2@beef"))
        .isNotEqualTo(ContentTable.key("ab13", "resnet50@cafe"))
        .isNotEqualTo(ContentTable.key("ab1", "2resnet50@cafe"));
  }
}
