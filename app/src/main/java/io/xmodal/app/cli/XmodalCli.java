package io.xmodal.app.cli;

import io.xmodal.app.dataset.DatasetException;
import io.xmodal.platform.config.ConfigException;
import io.xmodal.platform.runtime.Ports;
import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "xmodal", mixinStandardHelpOptions = true, version = "xmodal 0.1.0",
    description = {
        "Training-free cross-modal retrieval as a Kafka Streams system.",
        "",
        "Configuration comes from environment variables: XMODAL_* for xmodal, KAFKA_* passed to every Kafka client",
        "(KAFKA_BOOTSTRAP_SERVERS -> bootstrap.servers); XMODAL_CONFIG_FILE names a properties file of defaults.",
        "Without KAFKA_BOOTSTRAP_SERVERS, 'up' starts an embedded broker and schema registry."},
    subcommands = {DemoCommand.class, UpCommand.class, IngestCommand.class, QueryCommand.class, MetricsCommand.class,
        EvalCommand.class, MappingCommand.class, BenchCommand.class, ServiceCommand.class, FuzzCommand.class,
        CommandLine.HelpCommand.class})
public final class XmodalCli {

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new XmodalCli());
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      if (e instanceof ConfigException || e instanceof DatasetException || e instanceof Ports.PortInUseException) {
        commandLine.getErr().println("error: " + e.getMessage());
        return 2;
      }
      commandLine.getErr().println("error: " + e);
      e.printStackTrace(commandLine.getErr());
      return 1;
    });
    return cli;
  }
}
