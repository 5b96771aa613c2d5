package io.xmodal.ingest;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CaptionRulesTest {

  @Test
  void shouldFindReplacementCharactersAndLoneSurrogates() {
    assertThat(CaptionRules.firstInvalidUtf16("fine text")).isEqualTo(-1);
    assertThat(CaptionRules.firstInvalidUtf16("a dog \uD83D\uDC15 runs")).isEqualTo(-1);
    assertThat(CaptionRules.firstInvalidUtf16("caf\uFFFD")).isEqualTo(3);
    assertThat(CaptionRules.firstInvalidUtf16("x\uD800y")).isEqualTo(1);
    assertThat(CaptionRules.firstInvalidUtf16("x\uDC00")).isEqualTo(1);
    assertThat(CaptionRules.firstInvalidUtf16("end\uD800")).isEqualTo(3);
  }
}
