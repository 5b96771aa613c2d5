package io.xmodal.app.cli;

import io.xmodal.platform.config.ConfigException;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.JvmLimits;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What the {@code xmodal} launcher script runs before it starts the CLI's JVM: prints that JVM's limits ({@link
 * JvmLimits.Role#LAUNCHER}, read from the environment and {@code XMODAL_CONFIG_FILE} like every other setting), one
 * per line: each environment variable as {@code NAME=VALUE}, then each JVM option (they start with {@code -}). A
 * setting it cannot read is one line on stderr and exit code 2. Its argument is the command about to run: {@code eval}
 * and {@code bench} hold both Flickr8k splits' embeddings on the heap beside a refit, and get {@value #WIDE_HEAP} of
 * heap unless {@code XMODAL_HEAP} is set (the launcher's default, 1536m, is measured on {@code demo}).
 */
public final class LauncherLimits {

  /** The heap of the commands that hold whole datasets' embeddings. */
  static final String WIDE_HEAP = "2g";

  private LauncherLimits() {}

  public static void main(String[] args) {
    try {
      lines(forCommand(ConfigSource.fromEnvironment(), args.length > 0 ? args[0] : "")).forEach(System.out::println);
    } catch (ConfigException e) {
      System.err.println("error: " + e.getMessage());
      System.exit(2);
    }
  }

  /** {@code source}, with {@value #WIDE_HEAP} of heap for {@code eval} and {@code bench} where XMODAL_HEAP is unset. */
  static ConfigSource forCommand(ConfigSource source, String command) {
    boolean wide = command.equals("eval") || command.equals("bench");
    return wide && source.get("XMODAL_HEAP").isEmpty() ? source.with(Map.of("XMODAL_HEAP", WIDE_HEAP)) : source;
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
