package io.xmodal.platform.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

class GracefulStopTest {

  /**
   * A JVM whose stop takes a while and which has another shutdown hook, as ONNX Runtime's that frees its native
   * environment: on SIGTERM, the stop must be over before that hook runs.
   */
  public static final class Fixture {
    public static void main(String[] args) throws Exception {
      Path file = Path.of(args[0]);
      GracefulStop.install("fixture-stop", () -> {
        sleep(700);
        append(file, "stopped");
      });
      Runtime.getRuntime().addShutdownHook(new Thread(() -> append(file, "other hook")));
      System.out.println("ready");
      System.out.flush();
      Thread.sleep(60_000);
    }

    private static void sleep(long ms) {
      try {
        Thread.sleep(ms);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    private static synchronized void append(Path file, String line) {
      try {
        Files.writeString(file, line + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
  }

  @Test
  @DisabledOnOs(OS.WINDOWS)
  void shouldStopBeforeTheOtherShutdownHooksRunOnSigterm(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("order.txt");
    Process p = start(file, Fixture.class.getName());
    try {
      awaitReady(p);
      p.destroy(); // SIGTERM
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    } finally {
      p.destroyForcibly();
    }
    assertThat(p.exitValue()).isEqualTo(128 + 15);
    assertThat(Files.readAllLines(file)).isEqualTo(List.of("stopped", "other hook"));
  }

  @Test
  void shouldStopBeforeTheOtherShutdownHooksRunWhenTheParentOfAChildJvmIsGone(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("order.txt");
    Process p = start(file, ChildWatchdog.class.getName(), Fixture.class.getName());
    try {
      awaitReady(p);
      p.getOutputStream().close(); // what a parent's exit does to its child's stdin
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    } finally {
      p.destroyForcibly();
    }
    assertThat(p.exitValue()).isZero();
    assertThat(Files.readAllLines(file)).isEqualTo(List.of("stopped", "other hook"));
  }

  private static Process start(Path file, String... mainClasses) throws java.io.IOException {
    List<String> command = new java.util.ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        System.getProperty("java.class.path")));
    command.addAll(List.of(mainClasses));
    command.add(file.toString());
    return new ProcessBuilder(command).redirectErrorStream(true).start();
  }

  // reads the fixture's output up to its "ready" line; a thread drains the rest so it never blocks on a full pipe
  private static void awaitReady(Process p) throws java.io.IOException {
    BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    String line;
    while ((line = out.readLine()) != null && !line.equals("ready")) {
      // the fixture's logging, if any
    }
    assertThat(line).isEqualTo("ready");
    Thread drain = new Thread(() -> {
      try {
        while (out.readLine() != null) {
          // discarded
        }
      } catch (java.io.IOException e) {
        // the process is gone
      }
    });
    drain.setDaemon(true);
    drain.start();
  }
}
