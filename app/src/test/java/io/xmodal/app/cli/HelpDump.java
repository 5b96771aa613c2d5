package io.xmodal.app.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine;

/** Prints {@code --help} of every command and subcommand of the CLI, each after a line {@code == xmodal …}. */
final class HelpDump {

  private HelpDump() {}

  public static void main(String[] args) {
    for (List<String> path : commandPaths()) {
      System.out.println("== " + String.join(" ", path));
      List<String> argv = new ArrayList<>(path.subList(1, path.size()));
      argv.add("--help");
      XmodalCli.commandLine().execute(argv.toArray(String[]::new));
    }
  }

  /** {@code [xmodal]}, {@code [xmodal, up]}, {@code [xmodal, bench, encode]}, …: every command there is. */
  static List<List<String>> commandPaths() {
    List<List<String>> out = new ArrayList<>();
    collect(XmodalCli.commandLine(), List.of(), out);
    return out;
  }

  private static void collect(CommandLine command, List<String> parent, List<List<String>> out) {
    List<String> path = new ArrayList<>(parent);
    path.add(command.getCommandName());
    out.add(path);
    command.getSubcommands().values().stream().distinct()
        .forEach(sub -> collect(sub, path, out));
  }
}
