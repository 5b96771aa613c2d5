package io.xmodal.mapping;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

class HeldOutTest {

  @Test
  void shouldCapTheReferencesToTheSameIdsWhateverTheOrderTheyArrivedIn() {
    Map<String, String> forward = new LinkedHashMap<>();
    Map<String, String> backward = new LinkedHashMap<>();
    for (int i = 0; i < 500; i++) {
      forward.put("caption-" + i, "caption-" + i);
      backward.put("caption-" + (499 - i), "caption-" + (499 - i));
    }

    List<String> a = HeldOut.capReferences(forward, 100);
    List<String> b = HeldOut.capReferences(new TreeMap<>(backward), 100);

    assertThat(a).hasSize(100).doesNotHaveDuplicates().isEqualTo(b);
    // a hash pick, not the first ids in either order
    assertThat(a).isNotEqualTo(List.copyOf(forward.values()).subList(0, 100));
    // under the cap, everything is kept
    assertThat(HeldOut.capReferences(new HashMap<>(Map.of("x", 1, "y", 2)), 100)).containsExactlyInAnyOrder(1, 2);
  }
}
