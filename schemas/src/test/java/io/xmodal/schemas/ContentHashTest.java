package io.xmodal.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ContentHashTest {

  @Test
  void shouldHashAnImagesBytesWithSha256() {
    // sha256("abc"), FIPS 180-2's first example
    assertThat(ContentHash.ofImage("abc".getBytes(StandardCharsets.US_ASCII)))
        .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  }

  @Test
  void shouldHashACaptionsImageLanguageAndTextEachEndedByNul() {
    // free text: no image id, then "en", then the text, each followed by a NUL byte
    assertThat(ContentHash.ofCaption(null, "en", "a dog"))
        .isEqualTo(ContentHash.ofImage("\0en\0a dog\0".getBytes(StandardCharsets.UTF_8)));
    assertThat(ContentHash.ofCaption("img1", "en", "a dog"))
        .isEqualTo(ContentHash.ofImage("img1\0en\0a dog\0".getBytes(StandardCharsets.UTF_8)))
        .isNotEqualTo(ContentHash.ofCaption(null, "en", "a dog"));
    assertThat(ContentHash.ofCaption("ab", "en", "c")).isNotEqualTo(ContentHash.ofCaption("a", "ben", "c"));
    assertThat(ContentHash.ofCaption(null, "en", "a dog")).hasSize(64).matches("[0-9a-f]{64}");
  }
}
