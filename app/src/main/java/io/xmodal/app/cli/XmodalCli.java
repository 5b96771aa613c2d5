package io.xmodal.app.cli;

import io.xmodal.platform.config.ConfigSource;
import picocli.CommandLine;
import picocli.CommandLine.Command;

@Command(name = "xmodal", mixinStandardHelpOptions = true, version = "xmodal 0.1.0",
    description = {
        "Training-free cross-modal retrieval as a Kafka Streams system.",
        "",
        "Configuration comes from environment variables: XMODAL_* for xmodal, KAFKA_* passed to every Kafka client",
        "(KAFKA_BOOTSTRAP_SERVERS -> bootstrap.servers); XMODAL_CONFIG_FILE names a properties file of defaults.",
        "Without KAFKA_BOOTSTRAP_SERVERS, 'up' starts an embedded broker and schema registry.",
        "An error you can fix (a setting, an unreachable broker or registry) is one line and exit code 2;",
        "XMODAL_DEBUG=true adds its stack trace."},
    subcommands = {DemoCommand.class, UpCommand.class, IngestCommand.class, QueryCommand.class, MetricsCommand.class,
        EvalCommand.class, MappingCommand.class, BenchCommand.class, ServiceCommand.class, TopicsCommand.class,
        FuzzCommand.class, ChaosCommand.class, DoctorCommand.class, CommandLine.HelpCommand.class})
public final class XmodalCli {

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  static CommandLine commandLine() {
    return commandLine(ConfigSource.fromEnvironment());
  }

  /**
   * The CLI; a failure an operator can fix (a setting, a dataset, a port, an unreachable broker or registry) is one
   * line naming the endpoint and the setting, exit code 2, and its stack trace only with {@code XMODAL_DEBUG=true}.
   */
  static CommandLine commandLine(ConfigSource environment) {
    CommandLine cli = new CommandLine(new XmodalCli());
    cli.setCaseInsensitiveEnumValuesAllowed(true);
    ErrorReport errors = new ErrorReport(environment);
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> errors.report(e, commandLine.getErr()));
    return cli;
  }
}
