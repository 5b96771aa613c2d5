package io.xmodal.platform.config;

import java.util.Optional;

/**
 * The broker and registry the launcher starts when no external cluster is configured.
 *
 * @param bindHost       interface they listen on ({@code XMODAL_BIND_HOST}, default 127.0.0.1)
 * @param brokerPort     Kafka client port ({@code XMODAL_BROKER_PORT}, default 29092)
 * @param controllerPort KRaft controller port ({@code XMODAL_CONTROLLER_PORT}, default 29093)
 * @param registryPort   schema registry HTTP port ({@code XMODAL_REGISTRY_PORT}, default 28081)
 * @param broker         memory limits of each broker JVM ({@link JvmLimits.Role#BROKER}: {@code XMODAL_BROKER_HEAP},
 *                       default 512m, and {@code XMODAL_BROKER_DIRECT_MEMORY}, default 512m)
 * @param registry       memory limits of the registry JVM ({@link JvmLimits.Role#REGISTRY}: {@code
 *                       XMODAL_REGISTRY_HEAP}, default 256m, and {@code XMODAL_REGISTRY_DIRECT_MEMORY}, default 256m)
 * @param sasl           {@code XMODAL_EMBEDDED_SASL_USER} and {@code XMODAL_EMBEDDED_SASL_PASSWORD}: when set, the
 *                       broker's only client listener is SASL_PLAINTEXT with SCRAM-SHA-256 and this one user;
 *                       unset (the default), a PLAINTEXT listener
 */
public record EmbeddedSettings(String bindHost, int brokerPort, int controllerPort, int registryPort,
                               JvmLimits broker, JvmLimits registry, Optional<Credentials> sasl) {

  public static final String BROKER_PORT = "XMODAL_BROKER_PORT";
  public static final String CONTROLLER_PORT = "XMODAL_CONTROLLER_PORT";
  public static final String REGISTRY_PORT = "XMODAL_REGISTRY_PORT";
  public static final String SASL_USER = "XMODAL_EMBEDDED_SASL_USER";
  public static final String SASL_PASSWORD = "XMODAL_EMBEDDED_SASL_PASSWORD";

  public static EmbeddedSettings from(ConfigSource source) {
    return new EmbeddedSettings(
        source.string("XMODAL_BIND_HOST", "127.0.0.1"),
        source.positiveInt(BROKER_PORT, 29092),
        source.positiveInt(CONTROLLER_PORT, 29093),
        source.positiveInt(REGISTRY_PORT, 28081),
        JvmLimits.of(JvmLimits.Role.BROKER, source),
        JvmLimits.of(JvmLimits.Role.REGISTRY, source),
        Credentials.from(source, SASL_USER, SASL_PASSWORD));
  }

  public EmbeddedSettings withPorts(int brokerPort, int controllerPort, int registryPort) {
    return new EmbeddedSettings(bindHost, brokerPort, controllerPort, registryPort, broker, registry, sasl);
  }
}
