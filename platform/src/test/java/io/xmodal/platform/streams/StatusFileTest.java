package io.xmodal.platform.streams;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.kafka.streams.KafkaStreams.State;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StatusFileTest {

  @TempDir
  Path work;

  @Test
  void shouldSayExactlyRunningOnlyWhenRunningAndWaitingForNothing() throws Exception {
    // Given the status file of a service under a work folder that has no status folder yet
    StatusFile status = StatusFile.in(work, "encode-stream");
    assertThat(status.path()).isEqualTo(work.resolve("status/encode-stream"));

    // When the service is RUNNING and waits for nothing
    status.write(new StreamsService.Status("encode-stream", State.RUNNING, ""));
    // Then the file is the one line the health check looks for (grep -qx RUNNING)
    assertThat(Files.readAllLines(status.path())).containsExactly("RUNNING");

    // When it runs but waits for the registry, then rebalances
    status.write(new StreamsService.Status("encode-stream", State.RUNNING,
        "the schema registry at http://registry:8080/apis/registry/v2 (connection refused)"));
    List<String> waiting = Files.readAllLines(status.path());
    status.write(new StreamsService.Status("encode-stream", State.REBALANCING, ""));

    // Then no line is exactly RUNNING in either, and nothing else is left in the folder
    assertThat(waiting).containsExactly(
        "RUNNING waiting for the schema registry at http://registry:8080/apis/registry/v2 (connection refused)");
    assertThat(Files.readAllLines(status.path())).containsExactly("REBALANCING");
    try (var files = Files.list(work.resolve("status"))) {
      assertThat(files).containsExactly(status.path());
    }
  }

  @Test
  void shouldRemoveTheFileAnEarlierProcessLeft() throws Exception {
    // Given a file left RUNNING by an earlier container on the same state volume
    StatusFile status = StatusFile.in(work, "ingest");
    status.write(new StreamsService.Status("ingest", State.RUNNING, ""));

    // When the next process starts
    status.clear();

    // Then the health check finds nothing until it writes its own status
    assertThat(status.path()).doesNotExist();
    status.clear();
    assertThat(status.path()).doesNotExist();
  }

  @Test
  void shouldKeepRunningWhenTheFileCannotBeWritten() throws Exception {
    // Given a status path whose folder is a regular file
    Files.writeString(work.resolve("status"), "not a folder");
    StatusFile status = StatusFile.in(work, "query-stream");

    // When a status is written, Then nothing is thrown and no file appears
    status.write(new StreamsService.Status("query-stream", State.RUNNING, ""));
    assertThat(Files.isRegularFile(work.resolve("status"))).isTrue();
  }
}
