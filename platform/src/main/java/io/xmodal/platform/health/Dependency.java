package io.xmodal.platform.health;

/** What a service cannot work without, with the setting that says where it is. */
public enum Dependency {
  BROKER("Kafka broker", "KAFKA_BOOTSTRAP_SERVERS", "broker.log"),
  REGISTRY("schema registry", "XMODAL_REGISTRY_URL", "registry.log");

  private final String label;
  private final String setting;
  private final String embeddedLog;

  Dependency(String label, String setting, String embeddedLog) {
    this.label = label;
    this.setting = setting;
    this.embeddedLog = embeddedLog;
  }

  /** "Kafka broker", "schema registry". */
  public String label() {
    return label;
  }

  /** The setting that names its endpoint. */
  public String setting() {
    return setting;
  }

  /** The embedded runtime's log file of it, under {@code <work>/logs}. */
  public String embeddedLog() {
    return embeddedLog;
  }
}
