package io.xmodal.app.cli;

import io.xmodal.client.metrics.MetricsView;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.tools.stack.Endpoints;
import java.io.PrintStream;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "metrics", mixinStandardHelpOptions = true,
    description = {
        "Show the latest value of every metric series on xmodal.metrics as a table; --follow keeps it live.",
        "Series are a metric name with its tags (partition and task tags are summed or averaged away)."})
final class MetricsCommand implements Callable<Integer> {

  @Option(names = {"-f", "--follow"}, description = "Redraw every --every until Ctrl-C.")
  boolean follow;

  @Option(names = "--every", defaultValue = "PT2S", description = "Redraw interval (default ${DEFAULT-VALUE}).")
  Duration every;

  @Option(names = "--since", defaultValue = "PT10M", description = "Start this far back (default ${DEFAULT-VALUE}).")
  Duration since;

  @Option(names = "--filter", paramLabel = "PREFIX", description = "Only metrics whose name starts with this.")
  String filter;

  @Option(names = "--candidates", description = "Also show every mapping candidate's held-out recall.")
  boolean candidates;

  @Override
  public Integer call() throws Exception {
    PlatformConfig config = Endpoints.resolve(PlatformConfig.from(ConfigSource.fromEnvironment()));
    TopicCatalogue topics = MappingCommand.topics(config);
    PrintStream out = System.out;
    boolean tty = System.console() != null;
    try (MetricsView view = new MetricsView(config, topics, since, filter, candidates)) {
      view.catchUp();
      out.print(view.render(tty && follow));
      out.flush();
      while (follow) {
        long until = System.nanoTime() + every.toNanos();
        while (System.nanoTime() < until) {
          view.poll(Duration.ofMillis(200));
        }
        out.print(view.render(tty));
        out.flush();
      }
    }
    return 0;
  }
}
