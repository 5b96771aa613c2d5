package io.xmodal.platform.process;

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
    Process p = runUntilExit(file, List.of(), Process::destroy, Fixture.class.getName()); // SIGTERM
    assertThat(p.exitValue()).isEqualTo(128 + 15);
    assertThat(Files.readAllLines(file)).isEqualTo(STOP_FIRST);
  }

  @Test
  void shouldStopBeforeTheOtherShutdownHooksRunWhenTheParentOfAChildJvmIsGone(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("order.txt");
    // what a parent's exit does to its child's stdin
    Process p = runUntilExit(file, List.of(), c -> c.getOutputStream().close(), CHILD);
    assertThat(p.exitValue()).isZero();
    assertThat(Files.readAllLines(file)).isEqualTo(STOP_FIRST);
  }

  /**
   * SIGTERM sent to a whole process group or cgroup reaches a child JVM with its parent: the child leaves the stop
   * to its parent (which stops the services before the broker), so it is still running until its stdin closes.
   */
  @Test
  @DisabledOnOs(OS.WINDOWS)
  void shouldLeaveSigtermToItsParentWhileTheParentRuns(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("order.txt");
    Process p = runUntilExit(file, List.of(), c -> {
      sigterm(c); // the default grace is a minute
      assertThat(c.waitFor(3, TimeUnit.SECONDS)).as("exited at SIGTERM with its parent running").isFalse();
      assertThat(file).doesNotExist();
      c.getOutputStream().close(); // the parent stops it
    }, CHILD);
    assertThat(p.exitValue()).isZero();
    assertThat(Files.readAllLines(file)).isEqualTo(STOP_FIRST);
  }

  @Test
  @DisabledOnOs(OS.WINDOWS)
  void shouldStopOnItsOwnWhenTheParentHasNotWithinTheGraceAfterSigterm(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("order.txt");
    Process p = runUntilExit(file, List.of("-D" + ChildWatchdog.TERM_GRACE_PROPERTY + "=500"),
        GracefulStopTest::sigterm, CHILD);
    assertThat(p.exitValue()).isEqualTo(128 + 15);
    assertThat(Files.readAllLines(file)).isEqualTo(STOP_FIRST);
  }

  @Test
  @DisabledOnOs(OS.WINDOWS)
  void shouldStopOnItsOwnAtASecondSigterm(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("order.txt");
    Process p = runUntilExit(file, List.of(), c -> {
      sigterm(c);
      assertThat(c.waitFor(1, TimeUnit.SECONDS)).isFalse();
      sigterm(c);
    }, CHILD);
    assertThat(p.exitValue()).isEqualTo(128 + 15);
    assertThat(Files.readAllLines(file)).isEqualTo(STOP_FIRST);
  }

  private static final List<String> STOP_FIRST = List.of("stopped", "other hook");
  private static final String[] CHILD = {ChildWatchdog.class.getName(), Fixture.class.getName()};

  private interface Action {
    void on(Process p) throws Exception;
  }

  // starts the fixture, waits for it to be ready, acts on it, and waits for it to exit
  private static Process runUntilExit(Path file, List<String> jvmArgs, Action action, String... mainClasses)
      throws Exception {
    Process p = start(file, jvmArgs, mainClasses);
    try {
      awaitReady(p);
      action.on(p);
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    } finally {
      p.destroyForcibly();
    }
    return p;
  }

  // SIGTERM alone: Process.destroy() would also close the child's stdin, which tells a child its parent is gone
  private static void sigterm(Process p) {
    assertThat(p.toHandle().destroy()).isTrue();
  }

  private static Process start(Path file, List<String> jvmArgs, String... mainClasses) throws java.io.IOException {
    List<String> command = new java.util.ArrayList<>(List.of(
        Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    command.addAll(jvmArgs);
    command.addAll(List.of("-cp", System.getProperty("java.class.path")));
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
