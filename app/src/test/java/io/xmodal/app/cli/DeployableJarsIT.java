package io.xmodal.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.xmodal.embedded.EmbeddedRuntime;
import io.xmodal.ingest.IngestTestImages;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.process.Ports;
import io.xmodal.platform.streams.StatusFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each deployable as it ships: its own runnable jar ({@code <module>/target/xmodal-<module>.jar}, its runtime libraries
 * in {@code target/lib}, both made by the reactor's package phase), started with {@code java -jar} and nothing but
 * environment variables against the embedded broker and registry, reaches RUNNING; and it carries only what it needs:
 * no deployable ships the broker, ingest no model runtime, encode-stream no PyTorch or ND4J.
 */
@Tag("e2e")
@Timeout(600)
class DeployableJarsIT {

  static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
  /** Jar name prefixes of the broker (and its Scala runtime), ONNX Runtime, PyTorch and ND4J. */
  static final List<String> BROKER = List.of("kafka_2.13-", "scala-library-", "kafka-metadata-", "kafka-raft-");
  static final List<String> ONNX = List.of("onnxruntime-", "onnxruntime-engine-");
  static final List<String> PYTORCH = List.of("pytorch-engine-", "pytorch-jni-", "pytorch-native-");
  static final List<String> ND4J = List.of("nd4j-");

  record Deployable(String module, String mainClass, List<String> forbidden) {

    Path jar() {
      return ROOT.resolve(module).resolve("target").resolve("xmodal-" + module + ".jar");
    }

    Path lib() {
      return ROOT.resolve(module).resolve("target").resolve("lib");
    }
  }

  static final List<Deployable> DEPLOYABLES = List.of(
      new Deployable("ingest", "io.xmodal.ingest.IngestMain", concat(BROKER, ONNX, PYTORCH, ND4J)),
      new Deployable("encode-stream", "io.xmodal.encode.EncodeMain", concat(BROKER, PYTORCH, ND4J)),
      new Deployable("mapping-trainer", "io.xmodal.trainer.TrainerMain", concat(BROKER, ONNX)),
      new Deployable("query-stream", "io.xmodal.query.QueryMain", concat(BROKER, PYTORCH)));

  @TempDir
  Path work;

  @Test
  void shouldShipEachDeployableAsItsOwnJarWithOnlyWhatItNeeds() throws IOException {
    for (Deployable d : DEPLOYABLES) {
      // Given the jar the build made for it
      assertThat(d.jar()).as("%s's jar (made by './mvnw package' on the whole reactor)", d.module()).isRegularFile();

      // Then it names its main class and its libraries, and they are all there
      try (JarFile jar = new JarFile(d.jar().toFile())) {
        var attributes = jar.getManifest().getMainAttributes();
        assertThat(attributes.getValue("Main-Class")).isEqualTo(d.mainClass());
        for (String entry : attributes.getValue("Class-Path").split(" ")) {
          assertThat(d.jar().resolveSibling(entry)).as("%s's Class-Path entry %s", d.module(), entry).isRegularFile();
        }
      }
      // and none of the libraries it must not carry
      List<String> shipped = libraries(d);
      List<String> wrong = shipped.stream().filter(name -> d.forbidden().stream().anyMatch(name::startsWith)).toList();
      assertThat(wrong).as("%s ships libraries it does not need", d.module()).isEmpty();
      System.out.printf("%s: %d libraries, %.0f MB%n", d.module(), shipped.size(), megabytes(d.lib()));
    }
  }

  @Test
  void shouldRunEachDeployableFromItsOwnJarAgainstTheBrokerAndRegistry() throws Exception {
    // Given the embedded broker and registry
    Map<String, String> runtimeSettings = Map.of(
        "XMODAL_WORK_DIR", work.resolve("runtime").toString(),
        "XMODAL_BROKER_PORT", Integer.toString(Ports.freePort()),
        "XMODAL_CONTROLLER_PORT", Integer.toString(Ports.freePort()),
        "XMODAL_REGISTRY_PORT", Integer.toString(Ports.freePort()));
    try (EmbeddedRuntime runtime = EmbeddedRuntime.start(PlatformConfig.from(ConfigSource.of(runtimeSettings)),
        Optional.empty(), Duration.ofMinutes(2))) {
      // When each deployable is started from its own jar, with nothing but environment variables
      Map<Deployable, Process> running = new LinkedHashMap<>();
      try {
        for (Deployable d : DEPLOYABLES) {
          running.put(d, start(d, runtime));
        }
        // Then each reaches RUNNING
        for (Map.Entry<Deployable, Process> e : running.entrySet()) {
          Deployable d = e.getKey();
          Path status = StatusFile.in(work.resolve(d.module()), d.module()).path();
          long deadline = System.nanoTime() + Duration.ofMinutes(4).toNanos();
          while (!isRunning(status) && e.getValue().isAlive() && System.nanoTime() < deadline) {
            TimeUnit.MILLISECONDS.sleep(250);
          }
          assertThat(isRunning(status)).as("%s from %s is RUNNING (its log: %s)", d.module(), d.jar(),
              log(d)).isTrue();
        }
      } finally {
        for (Process p : running.values()) {
          p.destroy();
        }
        for (Process p : running.values()) {
          if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
          }
        }
      }
    }
  }

  private Process start(Deployable d, EmbeddedRuntime runtime) throws IOException {
    Path dir = Files.createDirectories(work.resolve(d.module()));
    Map<String, String> env = new HashMap<>();
    env.put("KAFKA_BOOTSTRAP_SERVERS", runtime.bootstrapServers());
    env.put("XMODAL_REGISTRY_URL", runtime.registry().apiUrl());
    env.put("XMODAL_WORK_DIR", dir.toString());
    env.put("XMODAL_SHARED_DIR", IngestTestImages.sharedDir().toString());
    env.put("XMODAL_DEVICE", "cpu");
    env.put("XMODAL_TEXT_MODEL", "minilm_l6_v2");
    env.put("XMODAL_IMAGE_ENCODER", "mobilenetv2:noflip");
    env.put("PATH", System.getenv("PATH"));
    ProcessBuilder pb = new ProcessBuilder(javaBin(), "-Xmx512m", "-Dai.djl.offline=true", "-jar",
        d.jar().toString()).directory(dir.toFile())
        .redirectErrorStream(true).redirectOutput(dir.resolve("service.log").toFile());
    pb.environment().clear();
    pb.environment().putAll(env);
    return pb.start();
  }

  private String log(Deployable d) {
    try {
      List<String> lines = Files.readAllLines(work.resolve(d.module()).resolve("service.log"));
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  private static boolean isRunning(Path status) {
    try {
      return Files.isRegularFile(status) && Files.readString(status).strip().equals("RUNNING");
    } catch (IOException e) {
      return false;
    }
  }

  private static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  private static List<String> libraries(Deployable d) throws IOException {
    try (Stream<Path> files = Files.list(d.lib())) {
      return files.map(f -> f.getFileName().toString()).sorted().toList();
    }
  }

  private static double megabytes(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.mapToLong(f -> f.toFile().length()).sum() / 1e6;
    }
  }

  @SafeVarargs
  private static List<String> concat(List<String>... lists) {
    List<String> out = new ArrayList<>();
    for (List<String> l : lists) {
      out.addAll(l);
    }
    return out;
  }
}
