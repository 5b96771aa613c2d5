package io.xmodal.app.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class XmodalCliHelpTest {

  @TempDir
  Path dir;

  @Test
  void theToolsShouldStartServiceInstancesThroughThisMainClass() {
    assertThat(io.xmodal.tools.stack.ProcessStack.LAUNCHER_MAIN).isEqualTo(XmodalCli.class.getName());
  }

  @Test
  @Timeout(120)
  void shouldNeverShowASecretInTheHelpOfAnyCommand() throws Exception {
    // Given every kind of secret setting in the environment, as a user's shell would hold them
    String jaasPassword = "jaas-" + UUID.randomUUID();
    Map<String, String> secrets = Map.of(
        "KAFKA_SASL_JAAS_CONFIG", "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" "
            + "password=\"" + jaasPassword + "\";",
        "KAFKA_SSL_KEY_PASSWORD", "sslkey-" + UUID.randomUUID(),
        "KAFKA_SSL_KEYSTORE_PASSWORD", "keystore-" + UUID.randomUUID(),
        "XMODAL_REGISTRY_PASSWORD", "registry-" + UUID.randomUUID(),
        "XMODAL_EMBEDDED_SASL_PASSWORD", "sasl-" + UUID.randomUUID());
    Map<String, String> env = new java.util.HashMap<>(secrets);
    env.put("XMODAL_REGISTRY_USER", "someone");
    env.put("XMODAL_EMBEDDED_SASL_USER", "someone");

    // When every command and subcommand prints its --help in a JVM with that environment
    String out;
    try (JavaProcess help = JavaProcess.start(List.of(), HelpDump.class, List.of(), env, dir, null)) {
      out = help.awaitExit(Duration.ofSeconds(90));
    }

    // Then each printed its usage
    List<List<String>> commands = HelpDump.commandPaths();
    assertThat(commands).hasSizeGreaterThan(10);
    for (List<String> command : commands) {
      String name = String.join(" ", command);
      int start = out.indexOf("== " + name + "\n");
      assertThat(start).as("help of %s", name).isNotNegative();
      int end = out.indexOf("\n== ", start + 1);
      assertThat(out.substring(start, end < 0 ? out.length() : end)).contains("Usage: " + name);
    }
    // and no secret, whole or in part, is anywhere in it
    for (String secret : secrets.values()) {
      assertThat(out).doesNotContain(secret);
    }
    assertThat(out).doesNotContain(jaasPassword);
  }
}
