package io.xmodal.platform.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/** Resident set size of a process, read from {@code /proc/<pid>/status} (Linux only). */
public final class Rss {

  private Rss() {}

  public static OptionalLong of(long pid) {
    return field(pid, "VmRSS:");
  }

  public static OptionalLong self() {
    return of(ProcessHandle.current().pid());
  }

  /** This process's peak resident set size so far (its high-water mark, VmHWM). */
  public static OptionalLong peakSelf() {
    return field(ProcessHandle.current().pid(), "VmHWM:");
  }

  /** A process's peak resident set size so far (VmHWM), while it runs. */
  public static OptionalLong peak(long pid) {
    return field(pid, "VmHWM:");
  }

  // a "Name:  N kB" line of /proc/<pid>/status, in bytes
  private static OptionalLong field(long pid, String name) {
    Path status = Path.of("/proc", Long.toString(pid), "status");
    try {
      for (String line : Files.readAllLines(status)) {
        if (line.startsWith(name)) {
          String kb = line.substring(name.length()).trim().split("\\s+")[0];
          return OptionalLong.of(Long.parseLong(kb) * 1024);
        }
      }
    } catch (IOException | RuntimeException e) {
      return OptionalLong.empty();
    }
    return OptionalLong.empty();
  }

  public static String format(OptionalLong bytes) {
    return bytes.isPresent() ? String.format("%.0f MiB", bytes.getAsLong() / 1048576.0) : "n/a";
  }
}
