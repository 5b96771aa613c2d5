package io.xmodal.query;

import io.xmodal.platform.service.ServiceLauncher;

/** query-stream on its own against a running cluster. */
public final class QueryMain {

  private QueryMain() {}

  public static void main(String[] args) throws InterruptedException {
    ServiceLauncher.runAlone(new QueryService());
  }
}
