package io.xmodal.query;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RowIndexTest {

  @Test
  void shouldAgreeWithAHashMapThroughAddsAndSwapRemovesAsAProjectedGalleryMakesThem() {
    // Given a row list and its index, changed the way ProjectedGallery changes them (append; remove by moving the
    // last row into the gap), next to a HashMap doing the same
    List<String> ids = new ArrayList<>();
    RowIndex index = new RowIndex(ids);
    Map<String, Integer> expected = new HashMap<>();
    Random r = new Random(3);
    for (int step = 0; step < 200_000; step++) {
      String id = "id-" + r.nextInt(5_000);
      if (r.nextInt(3) > 0) {
        if (!expected.containsKey(id)) {
          ids.add(id);
          index.put(id, ids.size() - 1);
          expected.put(id, ids.size() - 1);
        }
      } else {
        Integer row = index.remove(id);
        assertThat(row).isEqualTo(expected.remove(id));
        if (row != null) {
          int last = ids.size() - 1;
          if (row != last) {
            String moved = ids.get(last);
            ids.set(row, moved);
            index.put(moved, row);
            expected.put(moved, row);
          }
          ids.remove(last);
        }
      }
    }
    // Then every id maps to its row, and nothing else is there
    assertThat(index.size()).isEqualTo(expected.size()).isEqualTo(ids.size());
    for (int i = 0; i < ids.size(); i++) {
      assertThat(index.get(ids.get(i))).isEqualTo(i);
    }
    assertThat(index.get("id-unknown")).isNull();
  }
}
