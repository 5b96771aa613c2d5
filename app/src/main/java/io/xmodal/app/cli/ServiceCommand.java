package io.xmodal.app.cli;

import io.xmodal.platform.service.ServiceLauncher;
import io.xmodal.tools.stack.Stack;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "service", mixinStandardHelpOptions = true,
    description = {
        "Run one service on its own against an existing cluster.",
        "KAFKA_BOOTSTRAP_SERVERS and XMODAL_REGISTRY_URL are required. This is how it runs in a real deployment: more "
            + "instances with the same application.id share the partitions."})
final class ServiceCommand implements Callable<Integer> {

  @Parameters(paramLabel = "NAME", description = "The service: ${COMPLETION-CANDIDATES}.")
  Stack.Service name;

  @Override
  public Integer call() throws Exception {
    // a launcher that started this as a child process (up --instances) waits for this line
    ServiceLauncher.runAlone(name.definition(), () -> {
      System.out.println(ServiceLauncher.READY + " " + name.definition().name());
      System.out.flush();
    });
    return 0;
  }
}
