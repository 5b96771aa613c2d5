package io.xmodal.device;

import com.sun.jna.Function;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The C library's heap, where ND4J's arrays, ONNX Runtime's and PyTorch's buffers and RocksDB's blocks live. glibc
 * keeps what they free for later allocations instead of returning it to the system, so a process's resident set
 * stays at its high-water mark after a burst: measured, 40 pairs of 10-MB ND4J products closed again left 458 MB
 * resident of the 937 MB they had held, and {@code malloc_trim(0)} brought it to 106 MB. {@link #trim} is called after
 * such a burst ends: a refit, models released when idle.
 */
public final class NativeHeap {

  private static final Logger LOG = LoggerFactory.getLogger(NativeHeap.class);
  private static final Function MALLOC_TRIM = lookUp();

  private NativeHeap() {}

  /**
   * Returns the heap's free memory to the system ({@code malloc_trim(0)}) and logs how much the resident set fell
   * (DEBUG); does nothing where the C library has no {@code malloc_trim} (not glibc). Walks every arena: tens of
   * milliseconds, so it belongs after a burst, not in a loop.
   */
  public static void trim(String after) {
    if (MALLOC_TRIM == null) {
      return;
    }
    boolean report = LOG.isDebugEnabled();
    long before = report ? residentMegabytes() : -1;
    long t0 = System.nanoTime();
    MALLOC_TRIM.invokeInt(new Object[] {0L}); // pad = 0, a size_t
    if (report) {
      LOG.debug("after {}: native heap trimmed in {} ms, resident set {} → {} MB", after,
          (System.nanoTime() - t0) / 1_000_000, before, residentMegabytes());
    }
  }

  /**
   * A full garbage collection, then {@link #trim}: ND4J's arrays are freed only once a collection has found their
   * small Java objects unreachable, which after a refit (its temporaries long promoted to the old generation) may not
   * happen for a long time. The collection stops every thread of the JVM (about a second with a 2 GB heap), so this is
   * for the end of rare, large work. Logs what it did at INFO.
   */
  public static void collectAndTrim(String after) {
    if (MALLOC_TRIM == null || Thread.currentThread().isInterrupted()) {
      // an interrupted caller is being shut down (a refit cancelled by a rebalance): no pause for it
      return;
    }
    long before = residentMegabytes();
    long t0 = System.nanoTime();
    System.gc();
    try {
      // JavaCPP frees the collected arrays on its deallocator thread
      Thread.sleep(100);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return;
    }
    MALLOC_TRIM.invokeInt(new Object[] {0L});
    LOG.info("after {}: garbage collected and native heap trimmed in {} ms, resident set {} → {} MB", after,
        (System.nanoTime() - t0) / 1_000_000, before, residentMegabytes());
  }

  /** Whether {@link #trim} does anything here. */
  public static boolean available() {
    return MALLOC_TRIM != null;
  }

  private static Function lookUp() {
    try {
      return Function.getFunction("c", "malloc_trim");
    } catch (LinkageError | RuntimeException e) {
      LOG.debug("no malloc_trim in this C library ({}): freed native memory stays with the process", e.toString());
      return null;
    }
  }

  // this process's resident set from /proc, -1 where there is none
  static long residentMegabytes() {
    try {
      List<String> lines = Files.readAllLines(Path.of("/proc/self/status"));
      for (String line : lines) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("\\D", "")) / 1024;
        }
      }
    } catch (Exception e) {
      return -1;
    }
    return -1;
  }
}
