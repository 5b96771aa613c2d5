package io.xmodal.mapping.refit;

import static org.assertj.core.api.Assertions.assertThat;

import io.xmodal.mapping.ModelSearch;
import io.xmodal.mapping.Recall;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GatesTest {

  /** A candidate whose held-out rsum is {@code rsum} (all in T2I R@1 for simplicity). */
  private static ModelSearch.Candidate candidate(double rsum) {
    return new ModelSearch.Candidate(null, new Recall.Result(rsum, 0, 0, 0, 0, 0), 0, null);
  }

  private static Recall.Result live(double rsum) {
    return new Recall.Result(rsum, 0, 0, 0, 0, 0);
  }

  @Test
  void shouldChooseTheBestCandidateThatFitsARecordAndReportTheBetterOnesThatDoNot() {
    ModelSearch.Candidate small = candidate(290);
    ModelSearch.Candidate big = candidate(305);
    ModelSearch.Candidate bigger = candidate(310);
    ModelSearch.Candidate worst = candidate(250);
    Map<ModelSearch.Candidate, Integer> size = Map.of(small, 100, big, 900, bigger, 1000, worst, 10);

    Gates.Selection s = Gates.select(List.of(worst, small, bigger, big), size::get, 500, live(280));

    assertThat(s.chosen()).isSameAs(small);
    assertThat(s.bytes()).isEqualTo(100);
    assertThat(s.tooLarge()).extracting(Gates.Oversized::candidate).containsExactly(bigger, big);
    assertThat(s.tooLarge()).extracting(Gates.Oversized::bytes).containsExactly(1000, 900);
    assertThat(s.promote()).isTrue();
  }

  @Test
  void shouldPromoteOnlyWhenNotWorseThanTheLiveMap() {
    ModelSearch.Candidate c = candidate(300);

    assertThat(Gates.select(List.of(c), x -> 1, 10, live(300)).promote()).as("equal").isTrue();
    assertThat(Gates.select(List.of(c), x -> 1, 10, live(300.1)).promote()).as("worse").isFalse();
    assertThat(Gates.select(List.of(c), x -> 1, 10, null).promote()).as("no live map").isTrue();
  }

  @Test
  void shouldChooseNothingWhenNoCandidateFits() {
    Gates.Selection s = Gates.select(List.of(candidate(1), candidate(2)), x -> 11, 10, null);

    assertThat(s.chosen()).isNull();
    assertThat(s.promote()).isFalse();
    assertThat(s.tooLarge()).hasSize(2);
  }

  @Test
  void shouldNeverPromoteAMapThatFindsNothingEvenWithoutALiveOne() {
    assertThat(Gates.select(List.of(candidate(0)), x -> 1, 10, null).promote()).isFalse();
  }

  @Test
  void shouldNeverPromoteANonFiniteScore() {
    // a NaN rsum compares false against anything: a broken map never replaces a live one
    assertThat(Gates.passesQuality(live(Double.NaN), live(100))).isFalse();
  }
}
