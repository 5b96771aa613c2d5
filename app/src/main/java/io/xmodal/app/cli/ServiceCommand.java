package io.xmodal.app.cli;

import io.xmodal.encode.EncodeMain;
import io.xmodal.ingest.IngestMain;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

@Command(name = "service", mixinStandardHelpOptions = true,
    description = {
        "Run one service on its own against an existing cluster.",
        "KAFKA_BOOTSTRAP_SERVERS and XMODAL_REGISTRY_URL are required. This is how it runs in a real deployment: more "
            + "instances with the same application.id share the partitions."})
final class ServiceCommand implements Callable<Integer> {

  enum Name { INGEST, ENCODE, TRAINER, QUERY }

  @Parameters(paramLabel = "NAME", description = "The service: ${COMPLETION-CANDIDATES}.")
  Name name;

  @Override
  public Integer call() throws Exception {
    switch (name) {
      case INGEST -> IngestMain.main(new String[0]);
      case ENCODE -> EncodeMain.main(new String[0]);
      case TRAINER -> io.xmodal.trainer.TrainerMain.main(new String[0]);
      case QUERY -> io.xmodal.query.QueryMain.main(new String[0]);
      default -> throw new IllegalStateException("unknown service " + name);
    }
    return 0;
  }
}
