package io.xmodal.app.cli;

import io.xmodal.platform.config.ConfigException;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.JvmLimits;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;

/**
 * What the {@code xmodal} launcher script runs before it starts the CLI's JVM: prints that JVM's limits ({@link
 * JvmLimits.Role#LAUNCHER}, read from the environment and {@code XMODAL_CONFIG_FILE} like every other setting), one
 * per line: each environment variable as {@code NAME=VALUE}, then each JVM option (they start with {@code -}). A
 * setting it cannot read is one line on stderr and exit code 2.
 */
public final class LauncherLimits {

  private LauncherLimits() {}

  public static void main(String[] args) {
    try {
      lines(ConfigSource.fromEnvironment()).forEach(System.out::println);
    } catch (ConfigException e) {
      System.err.println("error: " + e.getMessage());
      System.exit(2);
    }
  }

  /** The lines {@link #main} prints for these settings. */
  static List<String> lines(ConfigSource source) {
    JvmLimits limits = JvmLimits.of(JvmLimits.Role.LAUNCHER, source);
    List<String> lines = new ArrayList<>();
    new TreeMap<>(limits.environment()).forEach((name, value) -> lines.add(name + "=" + value));
    lines.addAll(limits.jvmOptions());
    return lines;
  }
}
