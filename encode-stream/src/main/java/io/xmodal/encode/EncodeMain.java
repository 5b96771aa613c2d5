package io.xmodal.encode;

import io.xmodal.platform.service.ServiceLauncher;

/** encode-stream on its own against a running cluster ({@code KAFKA_BOOTSTRAP_SERVERS}, {@code XMODAL_REGISTRY_URL}). */
public final class EncodeMain {

  private EncodeMain() {}

  public static void main(String[] args) throws InterruptedException {
    ServiceLauncher.runAlone(new EncodeService());
  }
}
