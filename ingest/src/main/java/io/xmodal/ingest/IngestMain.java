package io.xmodal.ingest;

import io.xmodal.platform.service.ServiceLauncher;

/**
 * The ingest service on its own, against a running cluster: {@code KAFKA_BOOTSTRAP_SERVERS} and
 * {@code XMODAL_REGISTRY_URL} are required; {@code XMODAL_CREATE_TOPICS=false} skips topic creation.
 */
public final class IngestMain {

  private IngestMain() {}

  public static void main(String[] args) throws InterruptedException {
    ServiceLauncher.runAlone(new IngestService());
  }
}
