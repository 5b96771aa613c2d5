package io.xmodal.platform.config;

import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which settings are secret, by name, and how they look in a log line. A name is secret if it holds PASSWORD,
 * SECRET, JAAS, TOKEN, CREDENTIAL or USER_INFO, or ends with KEY; environment names ({@code KAFKA_SASL_JAAS_CONFIG})
 * and Kafka property names ({@code sasl.jaas.config}, {@code ssl.keystore.key}) alike.
 */
public final class Secrets {

  public static final String MASK = "******";

  private Secrets() {}

  public static boolean isSecret(String name) {
    String k = name.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    return k.contains("PASSWORD") || k.contains("SECRET") || k.contains("JAAS") || k.contains("TOKEN")
        || k.contains("CREDENTIAL") || k.contains("USER_INFO") || k.endsWith("_KEY") || k.equals("KEY");
  }

  /** A sorted copy for a log line, with every secret value replaced by {@link #MASK}. */
  public static Map<String, String> masked(Map<String, ?> settings) {
    Map<String, String> out = new TreeMap<>();
    settings.forEach((k, v) -> out.put(k, isSecret(k) ? MASK : String.valueOf(v)));
    return out;
  }
}
