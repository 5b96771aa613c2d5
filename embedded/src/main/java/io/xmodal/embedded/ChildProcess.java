package io.xmodal.embedded;

import io.xmodal.platform.process.ChildWatchdog;
import io.xmodal.platform.process.Rss;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A child JVM started through {@link ChildWatchdog}: its output goes to a log file, a line of it marks it ready,
 * and closing its stdin stops it.
 */
public final class ChildProcess implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(ChildProcess.class);
  private static final int TAIL_LINES = 40;

  private final String name;
  private final Process process;
  private final Path logFile;
  private final CountDownLatch ready = new CountDownLatch(1);
  private final Deque<String> tail = new ArrayDeque<>();

  private ChildProcess(String name, Process process, Path logFile, Predicate<String> readyLine) {
    this.name = name;
    this.process = process;
    this.logFile = logFile;
    Thread pump = new Thread(() -> pump(readyLine), name + "-output");
    pump.setDaemon(true);
    pump.start();
    process.onExit().thenRun(ready::countDown);
  }

  /**
   * Starts {@code java [jvmArgs] -cp classpath ChildWatchdog mainClass args}, output appended to {@code logFile}.
   */
  public static ChildProcess start(String name, List<String> jvmArgs, String classpath, String mainClass,
                                   List<String> args, Path workingDir, Path logFile, Predicate<String> readyLine) {
    return start(name, jvmArgs, classpath, mainClass, args, Map.of(), workingDir, logFile, readyLine);
  }

  /**
   * As above, with {@code environment} set for the child. The parent's own {@code KAFKA_…} and {@code XMODAL_…}
   * variables never reach a child; only what is named here does (environment, never the command line: it may hold
   * secrets).
   */
  public static ChildProcess start(String name, List<String> jvmArgs, String classpath, String mainClass,
                                   List<String> args, Map<String, String> environment, Path workingDir, Path logFile,
                                   Predicate<String> readyLine) {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmArgs);
    command.add("-cp");
    command.add(classpath);
    command.add(ChildWatchdog.class.getName());
    command.add(mainClass);
    command.addAll(args);
    try {
      Files.createDirectories(logFile.getParent());
      Files.createDirectories(workingDir);
      ProcessBuilder pb = new ProcessBuilder(command).directory(workingDir.toFile()).redirectErrorStream(true);
      pb.environment().keySet().removeIf(k -> k.startsWith("KAFKA_") || k.startsWith("XMODAL_"));
      pb.environment().putAll(environment);
      Process p = pb.start();
      LOG.debug("{}: started pid {}: {}", name, p.pid(), command);
      return new ChildProcess(name, p, logFile, readyLine);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start " + name + ": " + e.getMessage(), e);
    }
  }

  private void pump(Predicate<String> readyLine) {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
         Writer log = Files.newBufferedWriter(logFile, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
             StandardOpenOption.APPEND)) {
      String line;
      while ((line = in.readLine()) != null) {
        log.write(line);
        log.write('\n');
        log.flush();
        synchronized (tail) {
          tail.addLast(line);
          if (tail.size() > TAIL_LINES) {
            tail.removeFirst();
          }
        }
        if (ready.getCount() > 0 && readyLine.test(line)) {
          ready.countDown();
        }
      }
    } catch (IOException e) {
      LOG.debug("{}: output pump stopped: {}", name, e.getMessage());
    }
  }

  /** Blocks until the ready line appears; throws with the end of its log if it exits or times out first. */
  public void awaitReady(Duration timeout) throws InterruptedException {
    boolean signalled = ready.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (!process.isAlive()) {
      throw new StartFailedException(name, "exited with code " + process.exitValue() + " while starting; last lines of "
          + logFile + ":\n" + tail());
    }
    if (!signalled) {
      throw new StartFailedException(name, "was not ready within " + timeout.toSeconds() + " s; last lines of "
          + logFile + ":\n" + tail());
    }
  }

  /** The child did not start: its name, and why with the end of its log. */
  public static final class StartFailedException extends IllegalStateException {
    private static final long serialVersionUID = 1L;
    private final String child;

    StartFailedException(String child, String why) {
      super(child + " " + why);
      this.child = child;
    }

    /** "kafka-broker", "schema-registry". */
    public String child() {
      return child;
    }
  }

  public String tail() {
    synchronized (tail) {
      return String.join("\n", tail);
    }
  }

  public long pid() {
    return process.pid();
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  public String name() {
    return name;
  }

  /** Completes with the exit code when the process ends, however it ends. */
  public CompletableFuture<Integer> onExit() {
    return process.onExit().thenApply(Process::exitValue);
  }

  /**
   * SIGKILL (on Unix; {@code kill -9}): no shutdown hook runs, nothing is flushed. Returns once the process is gone,
   * with its exit code (137 on Linux).
   */
  public int kill() throws InterruptedException {
    process.destroyForcibly();
    return process.waitFor();
  }

  /** Asks it to stop (closes its stdin) without waiting; {@link #stop} then waits. */
  public void requestStop() {
    try {
      process.getOutputStream().close();
    } catch (IOException e) {
      LOG.debug("{}: closing stdin: {}", name, e.getMessage());
    }
  }

  public Path logFile() {
    return logFile;
  }

  /** Resident set size of the child, from /proc (Linux), if known. */
  public OptionalLong rssBytes() {
    return Rss.of(process.pid());
  }

  /** Closes its stdin (it shuts down cleanly), waits, and kills it if it lingers. */
  public void stop(Duration grace) {
    if (!process.isAlive()) {
      return;
    }
    requestStop();
    try {
      if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        LOG.warn("{} did not stop within {} s; killing pid {}", name, grace.toSeconds(), process.pid());
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  @Override
  public void close() {
    stop(Duration.ofSeconds(30));
  }
}
