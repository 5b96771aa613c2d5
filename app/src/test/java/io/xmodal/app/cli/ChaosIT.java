package io.xmodal.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xmodal.ingest.IngestTestImages;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.tools.chaos.ChaosLedger.Row;
import io.xmodal.tools.chaos.ChaosLedger.Stage;
import io.xmodal.tools.chaos.ChaosRun;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The short version of {@code ./xmodal chaos}: a 3-node cluster, two JVMs of each service, 40 dev images with their
 * 200 captions and 120 queries flowing through while one instance each of encode-stream, mapping-trainer and
 * query-stream and one broker node are killed with SIGKILL and restarted. Every input comes out exactly once
 * (read_committed), and the mapping versions have no gap and no repeat.
 */
@Tag("e2e")
@Timeout(900)
class ChaosIT {

  @TempDir
  Path work;

  @Test
  void shouldLoseAndDuplicateNothingWhenAnInstanceOfEachServiceAndABrokerAreKilled() throws Exception {
    ConfigSource source = ConfigSource.of(Map.of(
        "XMODAL_WORK_DIR", work.toString(),
        "XMODAL_SHARED_DIR", IngestTestImages.sharedDir().toString(),
        // eight service JVMs and three brokers start on the suite's 2 cores: C1 only and a serial GC cut the JIT and
        // GC work of each (the run measures delivery through kills, not throughput)
        "XMODAL_SERVICE_JAVA_OPTS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC",
        // a killed encode-stream's open transaction holds read_committed readers of the embeddings until it times
        // out (a restarted instance has another transactional id, so it cannot abort it): 60 s by default for
        // encode-stream, whose single encoders here finish a batch in well under a second; 20 s keeps the run short
        "KAFKA_TRANSACTION_TIMEOUT_MS", "20000"));
    ChaosRun.Options options = new ChaosRun.Options(7, 40, 120, 3, 2, 3, 5, 1, Duration.ofMinutes(10),
        IngestTestImages.flickr8k(), false);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    ChaosRun.Result result = ChaosRun.run(source, options, new PrintStream(new TeeStream(out, System.out)));

    String printed = bytes.toString(StandardCharsets.UTF_8);
    assertThat(result.kills()).extracting(ChaosRun.Kill::role)
        .hasSize(4).anyMatch(r -> r.startsWith("encode-stream-")).anyMatch(r -> r.startsWith("mapping-trainer-"))
        .anyMatch(r -> r.startsWith("query-stream-")).anyMatch(r -> r.startsWith("broker-"));
    assertThat(row(result, Stage.INGEST)).isEqualTo(new Row(Stage.INGEST, 240, 240, 0, 0, 0));
    assertThat(row(result, Stage.ENCODE)).isEqualTo(new Row(Stage.ENCODE, 240, 240, 0, 0, 0));
    assertThat(row(result, Stage.QUERY)).isEqualTo(new Row(Stage.QUERY, 120, 120, 0, 0, 0));
    Row trainer = row(result, Stage.TRAINER);
    assertThat(trainer.outputs()).as("mapping versions published").isPositive();
    assertThat(trainer.lost()).as("gaps in the version numbers").isZero();
    assertThat(trainer.duplicated()).as("versions published twice").isZero();
    assertThat(result.answeredWithAMapping()).as("queries answered with a mapping (they start once one is live)")
        .isPositive();
    assertThat(result.lost()).isZero();
    assertThat(result.duplicated()).isZero();
    assertThat(printed.strip().lines().reduce((a, b) -> b).orElseThrow())
        .isEqualTo("chaos: inputs 360 lost 0 duplicated 0 kills 4 seed 7");
  }

  private static Row row(ChaosRun.Result result, Stage stage) {
    return result.rows().stream().filter(r -> r.stage() == stage).findFirst().orElseThrow();
  }

  /** Writes to two streams: the test reads one, the build log shows the other. */
  private static final class TeeStream extends java.io.OutputStream {
    private final java.io.OutputStream a;
    private final java.io.OutputStream b;

    TeeStream(java.io.OutputStream a, java.io.OutputStream b) {
      this.a = a;
      this.b = b;
    }

    @Override
    public void write(int x) throws java.io.IOException {
      a.write(x);
      b.write(x);
    }

    @Override
    public void write(byte[] buf, int off, int len) throws java.io.IOException {
      a.write(buf, off, len);
      b.write(buf, off, len);
    }

    @Override
    public void flush() throws java.io.IOException {
      a.flush();
      b.flush();
    }
  }
}
