package io.xmodal.tools.chaos;

import static org.assertj.core.api.Assertions.assertThat;

import io.xmodal.tools.chaos.ChaosLedger.Row;
import io.xmodal.tools.chaos.ChaosLedger.Stage;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChaosLedgerTest {

  @Test
  void shouldCountLostAndDuplicatedByKeyPerStage() {
    // Given three images sent, and encode-stream committing one twice and another never
    ChaosLedger ledger = new ChaosLedger();
    ledger.expect(Stage.ENCODE, List.of("a", "b", "c"));
    ledger.output(Stage.ENCODE, "a");
    ledger.output(Stage.ENCODE, "a");
    ledger.output(Stage.ENCODE, "b");
    ledger.deadLetter(Stage.ENCODE);

    // When the table is made
    Row encode = ledger.rows().stream().filter(r -> r.stage() == Stage.ENCODE).findFirst().orElseThrow();

    // Then c is lost, a is duplicated once, and the dead letter is counted
    assertThat(encode).isEqualTo(new Row(Stage.ENCODE, 3, 2, 1, 1, 1));
    assertThat(ledger.delivered(Stage.ENCODE)).isEqualTo(2);
    assertThat(ledger.lost()).isEqualTo(1);
    assertThat(ledger.duplicated()).isEqualTo(1);
  }

  @Test
  void shouldCountAGapInMappingVersionsAsLostAndARepeatAsDuplicated() {
    // Given versions 1, 2, 2 and 4 of one mapping and 1 of another
    ChaosLedger ledger = new ChaosLedger();
    for (long v : new long[] {1, 2, 2, 4}) {
      ledger.version("default", v);
    }
    ledger.version("other", 1);

    Row trainer = ledger.rows().stream().filter(r -> r.stage() == Stage.TRAINER).findFirst().orElseThrow();

    // Then 4 distinct versions were published, version 3 is missing and version 2 came twice
    assertThat(trainer.outputs()).isEqualTo(4);
    assertThat(trainer.lost()).isEqualTo(1);
    assertThat(trainer.duplicated()).isEqualTo(1);
    assertThat(ledger.latestVersions()).containsEntry("default", 4L).containsEntry("other", 1L);
  }

  @Test
  void shouldReportNothingLostWhenEveryKeyCameOnce() {
    ChaosLedger ledger = new ChaosLedger();
    ledger.expect(Stage.QUERY, List.of("q1", "q2"));
    ledger.output(Stage.QUERY, "q2");
    ledger.output(Stage.QUERY, "q1");
    ledger.version("default", 1);
    ledger.version("default", 2);

    assertThat(ledger.lost()).isZero();
    assertThat(ledger.duplicated()).isZero();
    assertThat(ledger.rows()).hasSize(Stage.values().length);
  }
}
