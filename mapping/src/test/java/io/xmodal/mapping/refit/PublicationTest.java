package io.xmodal.mapping.refit;

import static org.assertj.core.api.Assertions.assertThat;

import io.xmodal.mapping.Fits;
import io.xmodal.mapping.HubnessCorrection;
import io.xmodal.mapping.LinearMap;
import io.xmodal.mapping.Method;
import io.xmodal.mapping.ModelSearch;
import io.xmodal.mapping.Recall;
import io.xmodal.mapping.Variant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What a refit publishes and reports, decided without the trainer's processor. */
class PublicationTest {

  private static ModelSearch.Candidate candidate(double lambda, double rsum) {
    LinearMap map = new LinearMap(Method.LEAST_SQUARES, new Variant.LeastSquares(Fits.Direction.T2I, true, lambda),
        null, null, null, null, null, HubnessCorrection.NONE);
    return new ModelSearch.Candidate(map, new Recall.Result(rsum / 6, rsum / 6, rsum / 6, rsum / 6, rsum / 6,
        rsum / 6), 0, null);
  }

  private static Refit.Result result(List<ModelSearch.Candidate> candidates, Recall.Result live,
                                     List<Refit.LearnedOutcome> learned) {
    return new Refit.Result(candidates, live, 1000, 100, 500, null, null, 1.0, learned, null,
        new Refit.Timing(candidates.size(), 1, 0, 0));
  }

  @Test
  void shouldPromoteTheChosenCandidateAndTagOnlyItsRecallAsPromotedWithTheVersion() {
    ModelSearch.Candidate weak = candidate(0.1, 300);
    ModelSearch.Candidate strong = candidate(0.01, 360);
    Refit.Result r = result(List.of(weak, strong), new Recall.Result(50, 50, 50, 50, 50, 50),
        List.of(new Refit.LearnedOutcome("GMLP", List.of(), "out of memory", "GMLP failed", Map.of())));

    Publication p = Publication.of(r, new Gates.Selection(strong, 1234, List.of(), true), "default", 7, 6L);

    assertThat(p.chosen()).isSameAs(strong);
    assertThat(p.promote()).isTrue();
    assertThat(p.version()).isEqualTo(7);
    List<Publication.Metric> rsums = p.metrics().stream().filter(m -> m.name().equals("mapping.heldout.rsum"))
        .toList();
    assertThat(rsums).hasSize(2);
    assertThat(rsums).filteredOn(m -> m.tags().get("promoted").equals("true")).singleElement()
        .satisfies(m -> {
          assertThat(m.value()).isCloseTo(360, org.assertj.core.data.Offset.offset(1e-9));
          assertThat(m.tags()).containsEntry("version", "7").containsEntry("candidate", strong.map().label());
        });
    assertThat(rsums).filteredOn(m -> m.tags().get("promoted").equals("false")).singleElement()
        .satisfies(m -> assertThat(m.tags()).doesNotContainKey("version"));
    assertThat(p.metrics()).extracting(Publication.Metric::name)
        .contains("mapping.learned.failed", "mapping.live.rsum", "mapping.promoted")
        .doesNotContain("mapping.refused");
    assertThat(p.metrics()).filteredOn(m -> m.name().equals("mapping.live.rsum")).singleElement()
        .satisfies(m -> assertThat(m.tags()).containsEntry("version", "6"));
  }

  @Test
  void shouldReportARefusalAndEveryOversizedCandidateWithoutPromoting() {
    ModelSearch.Candidate big = candidate(0.001, 400);
    ModelSearch.Candidate fits = candidate(0.1, 300);
    Refit.Result r = result(List.of(big, fits), new Recall.Result(60, 60, 60, 60, 60, 60), List.of());

    Publication p = Publication.of(r, new Gates.Selection(fits, 999, List.of(new Gates.Oversized(big, 50_000_000)),
        false), "default", 3, 2L);

    assertThat(p.promote()).isFalse();
    assertThat(p.metrics()).extracting(Publication.Metric::name).contains("mapping.too_large", "mapping.refused")
        .doesNotContain("mapping.promoted");
    assertThat(p.metrics()).filteredOn(m -> m.name().equals("mapping.too_large")).singleElement()
        .satisfies(m -> assertThat(m.value()).isEqualTo(50_000_000));
    assertThat(p.metrics()).filteredOn(m -> m.name().startsWith("mapping.heldout."))
        .allSatisfy(m -> assertThat(m.tags()).containsEntry("promoted", "false"));
  }

  @Test
  void shouldPublishNothingWhenNoCandidateFitsARecord() {
    ModelSearch.Candidate big = candidate(0.001, 400);
    Refit.Result r = result(List.of(big), null, List.of());

    Publication p = Publication.of(r, new Gates.Selection(null, 0, List.of(new Gates.Oversized(big, 50_000_000)),
        false), "default", 1, null);

    assertThat(p.chosen()).isNull();
    assertThat(p.promote()).isFalse();
    assertThat(p.metrics()).extracting(Publication.Metric::name)
        .doesNotContain("mapping.promoted", "mapping.refused", "mapping.live.rsum");
  }
}
