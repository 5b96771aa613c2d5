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
  void shouldHoldOutTheSameImagesAsTheReleasedRuleSoStoredModelsAndTheirScoresStayComparable() {
    // Given Flickr8k dev ids whose CRC-32 mod 100 was computed by another implementation (Python's zlib.crc32):
    // 4, 1, 9, 0 for the first four, 13, 32, 35, 38 for the last four

    // When the trainer, the offline evaluation and query-stream each ask the rule on their own
    // Then they agree with each other and with every earlier release: held out below 10 percent, kept above
    assertThat(List.of("1579798212_d30844b4c5.jpg", "3616808182_fb4eaec778.jpg", "3364715316_df8c20bac1.jpg",
        "3346918203_986dca6641.jpg")).allMatch(id -> HeldOut.isHeldOut(id, 10));
    assertThat(List.of("2090545563_a4e66ec76b.jpg", "3393035454_2d2370ffd4.jpg", "3695064885_a6922f06b2.jpg",
        "1679557684_50a206e4a9.jpg")).noneMatch(id -> HeldOut.isHeldOut(id, 10));
    // bucket 13 is held out at 14 percent, not at 13: the rule is "below", not "at or below"
    assertThat(HeldOut.isHeldOut("2090545563_a4e66ec76b.jpg", 14)).isTrue();
    assertThat(HeldOut.isHeldOut("2090545563_a4e66ec76b.jpg", 13)).isFalse();
  }

  @Test
  void shouldHoldOutAboutItsShareAndGrowTheHeldOutSetOnlyByAddingImages() {
    // Given 10,000 synthetic image ids (983 of them in buckets below 10, by zlib.crc32)
    List<String> ids = java.util.stream.IntStream.range(0, 10_000).mapToObj(i -> "image-" + i + ".jpg").toList();

    // When the share is 10 percent, then 20
    List<String> ten = ids.stream().filter(id -> HeldOut.isHeldOut(id, 10)).toList();
    List<String> twenty = ids.stream().filter(id -> HeldOut.isHeldOut(id, 20)).toList();

    // Then about that share is held out, and a larger share only adds images (none moves into training)
    assertThat(ten).hasSize(983);
    assertThat(twenty).hasSizeBetween(1900, 2100).containsAll(ten);
  }

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

  @Test
  void shouldTrimAStreamOfReferencesToTheSamePickAsKeepingThemAllEvenAfterSomeAreDeleted() {
    // Given 5,000 ids arriving one by one into a map trimmed to one and a half caps whenever it passes two, as
    // TrainingSet does
    Map<String, String> all = new LinkedHashMap<>();
    Map<String, String> trimmed = new TreeMap<>();
    for (int i = 0; i < 5_000; i++) {
      String id = "caption-" + (i * 7_919 % 5_000);
      all.put(id, id);
      trimmed.put(id, id);
      if (trimmed.size() > 200) {
        HeldOut.keepReferences(trimmed, 150);
      }
    }
    assertThat(trimmed.size()).isLessThanOrEqualTo(200);
    assertThat(HeldOut.capReferences(trimmed, 100)).hasSize(100).isEqualTo(HeldOut.capReferences(all, 100));

    // When 30 of the picked references are deleted (fewer than the half cap of slack)
    List<String> deleted = HeldOut.capReferences(all, 30);
    deleted.forEach(id -> {
      all.remove(id);
      trimmed.remove(id);
    });

    // Then the ids kept beyond the cap make up for them: still the pick of everything that is left
    assertThat(HeldOut.capReferences(trimmed, 100)).hasSize(100).isEqualTo(HeldOut.capReferences(all, 100))
        .doesNotContainAnyElementsOf(deleted);
  }
}
