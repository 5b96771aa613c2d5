package io.xmodal.platform.config;

/** A setting is missing or malformed; the message names the variable and says what to do. */
public final class ConfigException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  public ConfigException(String message) {
    super(message);
  }
}
