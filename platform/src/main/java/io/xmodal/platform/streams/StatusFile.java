package io.xmodal.platform.streams;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A service's status as one line in a file, rewritten on every change: exactly {@code RUNNING} when its streams are
 * RUNNING and it waits for nothing; otherwise the state and what it waits for ({@code REBALANCING},
 * {@code RUNNING waiting for the schema registry at …}). A container health check reads it
 * ({@code grep -qx RUNNING FILE}). A service removes it when it starts, so a file an earlier process left behind
 * (on a state volume) never reads as healthy.
 */
public final class StatusFile {

  private static final Logger LOG = LoggerFactory.getLogger(StatusFile.class);

  private final Path file;
  private boolean warned;

  public StatusFile(Path file) {
    this.file = file;
  }

  /** {@code <workDir>/status/<service>}: where {@code ./xmodal service NAME} keeps it. */
  public static StatusFile in(Path workDir, String service) {
    return new StatusFile(workDir.resolve("status").resolve(service));
  }

  public Path path() {
    return file;
  }

  /** The line for a status: {@code RUNNING} only when running and waiting for nothing. */
  static String line(StreamsService.Status status) {
    return status.state() + (status.waitingFor().isEmpty() ? "" : " waiting for " + status.waitingFor());
  }

  /** Removes a file an earlier process may have left. */
  public synchronized void clear() {
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      warnOnce(e);
    }
  }

  /**
   * Replaces the file's line (written beside it and moved over it, so a reader never sees half a line). A failure is
   * logged once and otherwise ignored: the health check then fails, the service runs on.
   */
  public synchronized void write(StreamsService.Status status) {
    try {
      Files.createDirectories(file.getParent());
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.writeString(tmp, line(status) + "\n", StandardCharsets.UTF_8);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      warnOnce(e);
    }
  }

  private void warnOnce(IOException e) {
    if (!warned) {
      warned = true;
      LOG.warn("cannot write the status file {} (the container health check reads it): {}", file, e.toString());
    }
  }
}
