package io.xmodal.platform.config;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Where settings come from, in order: environment variables ({@code XMODAL_…}, {@code KAFKA_…}), then the
 * properties file named by {@code XMODAL_CONFIG_FILE} (same keys), then the caller's default. Immutable.
 */
public final class ConfigSource {

  public static final String CONFIG_FILE = "XMODAL_CONFIG_FILE";
  private static final String KAFKA_PREFIX = "KAFKA_";

  private final Map<String, String> values;

  private ConfigSource(Map<String, String> values) {
    this.values = Map.copyOf(values);
  }

  /** The process environment, over the optional properties file. */
  public static ConfigSource fromEnvironment() {
    return of(System.getenv());
  }

  /** Explicit values (over the properties file they may name). */
  public static ConfigSource of(Map<String, String> variables) {
    Map<String, String> merged = new HashMap<>();
    String file = variables.get(CONFIG_FILE);
    if (file != null && !file.isBlank()) {
      merged.putAll(readProperties(Path.of(file)));
    }
    variables.forEach((k, v) -> {
      if (v != null) {
        merged.put(k, v);
      }
    });
    return new ConfigSource(merged);
  }

  /** A copy with some values replaced (for a launcher that derives settings, e.g. embedded endpoints). */
  public ConfigSource with(Map<String, String> overrides) {
    Map<String, String> merged = new HashMap<>(values);
    merged.putAll(overrides);
    return new ConfigSource(merged);
  }

  public Optional<String> get(String name) {
    String v = values.get(name);
    return v == null || v.isBlank() ? Optional.empty() : Optional.of(v.trim());
  }

  public String string(String name, String fallback) {
    return get(name).orElse(fallback);
  }

  public int integer(String name, int fallback) {
    return get(name).map(v -> parse(name, v, "an integer", Integer::parseInt)).orElse(fallback);
  }

  public int positiveInt(String name, int fallback) {
    int v = integer(name, fallback);
    if (v <= 0) {
      throw new ConfigException(name + " must be a positive integer, got " + v);
    }
    return v;
  }

  public long longValue(String name, long fallback) {
    return get(name).map(v -> parse(name, v, "an integer", Long::parseLong)).orElse(fallback);
  }

  public double decimal(String name, double fallback) {
    return get(name).map(v -> parse(name, v, "a number", Double::parseDouble)).orElse(fallback);
  }

  public boolean bool(String name, boolean fallback) {
    return get(name).map(v -> switch (v.toLowerCase(Locale.ROOT)) {
      case "true", "yes", "1", "on" -> true;
      case "false", "no", "0", "off" -> false;
      default -> throw new ConfigException(name + " must be true or false"
          + (Secrets.isSecret(name) ? "" : ", got '" + v + "'"));
    }).orElse(fallback);
  }

  /** A duration in milliseconds ({@code 1500}) or with a unit ({@code 10s}, {@code 2m}, {@code 250ms}). */
  public Duration duration(String name, Duration fallback) {
    return get(name).map(v -> parse(name, v, "a duration such as 250ms, 10s or 2m", ConfigSource::parseDuration))
        .orElse(fallback);
  }

  /** A size as the JVM writes it ({@code 512m}, {@code 2g}, {@code 65536}): {@link ByteSize}. */
  public ByteSize byteSize(String name, ByteSize fallback) {
    return get(name).map(v -> parse(name, v, "a size such as 512m or 2g (k, m, g: powers of 1024)", ByteSize::parse))
        .orElse(fallback);
  }

  public Path path(String name, Path fallback) {
    return get(name).map(Path::of).orElse(fallback);
  }

  public <E extends Enum<E>> E enumValue(String name, Class<E> type, E fallback) {
    return get(name).map(v -> {
      try {
        return Enum.valueOf(type, v.toUpperCase(Locale.ROOT).replace('-', '_'));
      } catch (IllegalArgumentException e) {
        throw new ConfigException(name + " must be one of " + Arrays.toString(type.getEnumConstants())
            + (Secrets.isSecret(name) ? "" : ", got '" + v + "'"));
      }
    }).orElse(fallback);
  }

  /**
   * Kafka client settings passed through from {@code KAFKA_…} variables: {@code KAFKA_BOOTSTRAP_SERVERS} becomes
   * {@code bootstrap.servers}, {@code KAFKA_SASL_JAAS_CONFIG} becomes {@code sasl.jaas.config}.
   */
  public Map<String, String> kafkaClientSettings() {
    Map<String, String> out = new TreeMap<>();
    values.forEach((k, v) -> {
      if (k.startsWith(KAFKA_PREFIX) && k.length() > KAFKA_PREFIX.length() && !v.isBlank()) {
        out.put(k.substring(KAFKA_PREFIX.length()).toLowerCase(Locale.ROOT).replace('_', '.'), v.trim());
      }
    });
    return Map.copyOf(out);
  }

  /**
   * Every {@code XMODAL_…} and {@code KAFKA_…} value as given (secrets included): what a launcher hands a child
   * process in its environment, so the child reads the same settings.
   */
  public Map<String, String> settings() {
    Map<String, String> out = new TreeMap<>();
    values.forEach((k, v) -> {
      if (k.startsWith("XMODAL_") || k.startsWith(KAFKA_PREFIX)) {
        out.put(k, v);
      }
    });
    return out;
  }

  /** The settings for a log line, with anything that looks secret masked. */
  public Map<String, String> describe() {
    Map<String, String> out = new TreeMap<>();
    values.forEach((k, v) -> {
      if (k.startsWith("XMODAL_") || k.startsWith(KAFKA_PREFIX)) {
        out.put(k, Secrets.isSecret(k) ? Secrets.MASK : v);
      }
    });
    return out;
  }

  private interface Parser<T> {
    T parse(String v);
  }

  private static <T> T parse(String name, String value, String expected, Parser<T> parser) {
    try {
      return parser.parse(value);
    } catch (RuntimeException e) {
      throw new ConfigException(name + " must be " + expected
          + (Secrets.isSecret(name) ? " (its value is secret and not shown)" : ", got '" + value + "'"));
    }
  }

  static Duration parseDuration(String v) {
    String s = v.trim().toLowerCase(Locale.ROOT);
    if (s.endsWith("ms")) {
      return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2).trim()));
    }
    if (s.endsWith("s")) {
      return Duration.ofMillis(Math.round(Double.parseDouble(s.substring(0, s.length() - 1).trim()) * 1000));
    }
    if (s.endsWith("m")) {
      return Duration.ofSeconds(Long.parseLong(s.substring(0, s.length() - 1).trim()) * 60);
    }
    if (s.endsWith("h")) {
      return Duration.ofHours(Long.parseLong(s.substring(0, s.length() - 1).trim()));
    }
    return Duration.ofMillis(Long.parseLong(s));
  }

  private static Map<String, String> readProperties(Path file) {
    if (!Files.isRegularFile(file)) {
      throw new ConfigException(CONFIG_FILE + " names " + file.toAbsolutePath() + ", which is not a readable file");
    }
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file)) {
      p.load(r);
    } catch (IOException e) {
      throw new ConfigException("cannot read " + CONFIG_FILE + " " + file + ": " + e.getMessage());
    }
    Map<String, String> out = new HashMap<>();
    p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k)));
    return out;
  }
}
