package io.xmodal.trainer;

import io.xmodal.platform.service.ServiceLauncher;

/** mapping-trainer on its own against a running cluster. */
public final class TrainerMain {

  private TrainerMain() {}

  public static void main(String[] args) throws InterruptedException {
    ServiceLauncher.runAlone(new TrainerService());
  }
}
