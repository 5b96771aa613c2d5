package io.xmodal.platform.config;

import java.util.Optional;

/**
 * A user name and its password. {@link #toString()} masks the password, so a record that holds credentials can be
 * logged.
 */
public record Credentials(String user, String password) {

  public Credentials {
    if (user == null || user.isBlank() || password == null || password.isEmpty()) {
      throw new IllegalArgumentException("a user and a password are both required");
    }
  }

  /**
   * Both settings, or neither: {@code userSetting} and {@code passwordSetting} set together give credentials, one
   * without the other is an error naming the missing one.
   */
  public static Optional<Credentials> from(ConfigSource source, String userSetting, String passwordSetting) {
    Optional<String> user = source.get(userSetting);
    Optional<String> password = source.get(passwordSetting);
    if (user.isPresent() != password.isPresent()) {
      throw new ConfigException(userSetting + " and " + passwordSetting + " go together: set both, or neither ("
          + (user.isPresent() ? passwordSetting : userSetting) + " is missing)");
    }
    return user.map(u -> new Credentials(u, password.get()));
  }

  @Override
  public String toString() {
    return "Credentials[user=" + user + ", password=" + Secrets.MASK + "]";
  }
}
