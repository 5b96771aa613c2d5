package io.xmodal.app.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A main class of this test classpath run in a JVM of its own, with environment variables of the test's choosing
 * (the only way to give a command its settings exactly as a user does); stdout and stderr are kept together.
 */
final class JavaProcess implements AutoCloseable {

  private final Process process;
  private final StringBuffer output = new StringBuffer();
  private final CountDownLatch marker = new CountDownLatch(1);
  private final Thread pump;

  private JavaProcess(Process process, String awaitedLine) {
    this.process = process;
    this.pump = new Thread(() -> pump(awaitedLine), "java-process-output");
    pump.setDaemon(true);
    pump.start();
  }

  /**
   * Starts {@code java [jvmArgs] -cp <this classpath> mainClass args}, with every inherited {@code KAFKA_…} and
   * {@code XMODAL_…} variable removed and {@code env} added.
   */
  static JavaProcess start(List<String> jvmArgs, Class<?> mainClass, List<String> args, Map<String, String> env,
                           Path dir, String awaitedLine) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(jvmArgs);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(mainClass.getName());
    command.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
    pb.environment().keySet().removeIf(k -> k.startsWith("KAFKA_") || k.startsWith("XMODAL_"));
    pb.environment().putAll(env);
    return new JavaProcess(pb.start(), awaitedLine);
  }

  private void pump(String awaitedLine) {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
        StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        output.append(line).append('\n');
        if (awaitedLine != null && line.contains(awaitedLine)) {
          marker.countDown();
        }
      }
    } catch (IOException e) {
      output.append("(output ended: ").append(e.getMessage()).append(")\n");
    }
  }

  /** Waits for the line given at start; false if the process ended or the time ran out first. */
  boolean awaitLine(Duration timeout) throws InterruptedException {
    process.onExit().thenRun(marker::countDown);
    return marker.await(timeout.toMillis(), TimeUnit.MILLISECONDS) && process.isAlive();
  }

  /** Waits for it to end by itself; its whole output. */
  String awaitExit(Duration timeout) throws InterruptedException {
    if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly();
      throw new IllegalStateException("did not end within " + timeout + ":\n" + output);
    }
    pump.join(10_000);
    return output.toString();
  }

  /** SIGTERM (its shutdown hooks run), then waits for it; its whole output. */
  String stop(Duration grace) throws InterruptedException {
    process.destroy();
    if (!process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
      process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
    pump.join(10_000);
    return output.toString();
  }

  String output() {
    return output.toString();
  }

  int exitValue() {
    return process.exitValue();
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      process.destroyForcibly();
    }
  }
}
