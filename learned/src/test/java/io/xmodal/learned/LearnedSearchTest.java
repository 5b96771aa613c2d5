package io.xmodal.learned;

import static io.xmodal.learned.LearnedTrainerTest.ccaCandidate;
import static io.xmodal.learned.LearnedTrainerTest.data;
import static io.xmodal.learned.LearnedTrainerTest.options;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import io.xmodal.device.DeviceChoice;
import io.xmodal.mapping.HubnessCorrection;
import io.xmodal.mapping.Method;
import io.xmodal.mapping.ModelSearch;
import io.xmodal.mapping.refit.Refit;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The learned step's choice of kinds: GMLP first, CONTRASTIVE only when GMLP does not beat the start. */
class LearnedSearchTest {

  private static List<Refit.LearnedOutcome> train(Refit.LearnedStep step, LearnedTrainerTest.Data d,
                                                  List<String> log) {
    ModelSearch.Candidate cca = ccaCandidate(d);
    return step.train(d.x(), d.y(), List.of(cca), d.validation(), null, null, List.of(HubnessCorrection.NONE),
        log::add);
  }

  @Test
  void shouldNotTrainContrastiveWhenGmlpBeatsTheStart() {
    // Given pairs a gMLP improves on (held-out rsum 216.5 at the start), and both kinds in the order Method lists them
    LearnedTrainerTest.Data d = data(1, 4.0);
    List<LearnedOptions> kinds = List.of(options(Method.CONTRASTIVE, 1e-2), options(Method.GMLP, 1e-2));
    List<String> log = new ArrayList<>();

    // When the refit's learned step trains them
    List<Refit.LearnedOutcome> outcomes = train(LearnedSearch.step(kinds), d, log);

    // Then GMLP was trained and beat the start, and CONTRASTIVE was never trained: no candidate, no figures, no error,
    // and one line that says why, in its place in the list
    assertThat(outcomes).extracting(Refit.LearnedOutcome::kind).containsExactly("CONTRASTIVE", "GMLP");
    Refit.LearnedOutcome gmlp = outcomes.get(1);
    assertThat(gmlp.error()).isNull();
    assertThat(gmlp.candidates()).isNotEmpty();
    assertThat(gmlp.figures().get("gain")).isPositive();
    Refit.LearnedOutcome contrastive = outcomes.get(0);
    assertThat(contrastive.candidates()).isEmpty();
    assertThat(contrastive.error()).isNull();
    assertThat(contrastive.figures()).isEmpty();
    double best = gmlp.candidates().get(0).validation().rsum();
    assertThat(contrastive.summary()).isEqualTo(String.format("CONTRASTIVE: not trained, GMLP beat the start "
        + "(held-out rsum 216.5 → %.1f); it is trained only when GMLP fails or does not improve", best));
    assertThat(log).anyMatch(l -> l.startsWith("GMLP from "))
        .noneMatch(l -> l.startsWith("CONTRASTIVE"));
  }

  @Test
  void shouldTrainEveryKindWhenAskedForTheFullTable() {
    // Given the same pairs and kinds
    LearnedTrainerTest.Data d = data(1, 4.0);
    List<LearnedOptions> kinds = List.of(options(Method.CONTRASTIVE, 1e-2), options(Method.GMLP, 1e-2));
    List<String> log = new ArrayList<>();

    // When the step is asked to train every kind (xmodal eval's full table)
    List<Refit.LearnedOutcome> outcomes = train(LearnedSearch.step(kinds, LearnedSearch.Scope.EVERY_KIND), d, log);

    // Then both were trained and scored
    assertThat(outcomes).extracting(Refit.LearnedOutcome::kind).containsExactly("CONTRASTIVE", "GMLP");
    assertThat(outcomes).allSatisfy(o -> {
      assertThat(o.error()).isNull();
      assertThat(o.candidates()).isNotEmpty();
      assertThat(o.figures()).containsKey("epochs");
    });
    assertThat(log).anyMatch(l -> l.startsWith("CONTRASTIVE from ")).anyMatch(l -> l.startsWith("GMLP from "));
  }

  @Test
  void shouldTrainContrastiveWhenGmlpDoesNotBeatTheStart() {
    // Given a gMLP step so large that no epoch beats the start
    LearnedTrainerTest.Data d = data(1);
    List<LearnedOptions> kinds = List.of(options(Method.CONTRASTIVE, 1e-2), options(Method.GMLP, 5.0));
    List<String> log = new ArrayList<>();

    List<Refit.LearnedOutcome> outcomes = train(LearnedSearch.step(kinds), d, log);

    // Then GMLP stands as the start (no gain), and CONTRASTIVE is trained as the fallback, after it, saying why
    Refit.LearnedOutcome gmlp = outcomes.get(1);
    assertThat(gmlp.figures()).containsEntry("best_epoch", 0.0).containsEntry("gain", 0.0);
    Refit.LearnedOutcome contrastive = outcomes.get(0);
    assertThat(contrastive.error()).isNull();
    assertThat(contrastive.candidates()).isNotEmpty();
    assertThat(contrastive.summary()).startsWith("CONTRASTIVE: ").contains(" epochs (best ");
    int reason = indexOf(log, "CONTRASTIVE: trained, since GMLP did not beat the start (held-out rsum ");
    assertThat(reason).isGreaterThan(indexOf(log, "GMLP from ")).isLessThan(indexOf(log, "CONTRASTIVE from "));
  }

  @Test
  void shouldTrainContrastiveWhenGmlpFails() {
    // Given a gMLP that cannot train (a GPU asked for on a machine without one)
    Assumptions.assumeTrue(Engine.getEngine("PyTorch").getGpuCount() == 0, "needs a machine without a GPU");
    LearnedTrainerTest.Data d = data(1, 4.0);
    List<LearnedOptions> kinds = List.of(options(Method.CONTRASTIVE, 1e-2),
        options(Method.GMLP, 1e-2).withDevice(DeviceChoice.GPU));
    List<String> log = new ArrayList<>();

    List<Refit.LearnedOutcome> outcomes = train(LearnedSearch.step(kinds), d, log);

    // Then GMLP's failure is reported and CONTRASTIVE is trained in its stead
    assertThat(outcomes.get(1).error()).contains("sees no GPU");
    assertThat(outcomes.get(1).candidates()).isEmpty();
    assertThat(outcomes.get(0).error()).isNull();
    assertThat(outcomes.get(0).candidates()).isNotEmpty();
    assertThat(log).anyMatch(l -> l.startsWith("CONTRASTIVE: trained, since GMLP failed (java.lang."
        + "IllegalStateException: XMODAL_DEVICE=gpu but PyTorch sees no GPU"))
        .anyMatch(l -> l.startsWith("CONTRASTIVE from "));
  }

  private static int indexOf(List<String> log, String prefix) {
    for (int i = 0; i < log.size(); i++) {
      if (log.get(i).startsWith(prefix)) {
        return i;
      }
    }
    return -1;
  }
}
