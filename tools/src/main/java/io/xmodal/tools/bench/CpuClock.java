package io.xmodal.tools.bench;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;

/**
 * Process CPU time (user + system, every thread) of this JVM and of the embedded broker and registry children. It
 * measures the cost of a phase where wall time does not: on a machine whose cores are shared, wall time grows with
 * other people's load, CPU time barely does.
 *
 * <p>This JVM's from {@link com.sun.management.OperatingSystemMXBean#getProcessCpuTime()}; a child's from
 * {@link ProcessHandle.Info#totalCpuDuration()} (on Linux, {@code utime + stime} of {@code /proc/<pid>/stat}, in
 * clock ticks of 10 ms). A child that is gone reads as zero.
 */
final class CpuClock {

  private final long brokerPid;
  private final long registryPid;

  private CpuClock(long brokerPid, long registryPid) {
    this.brokerPid = brokerPid;
    this.registryPid = registryPid;
  }

  /** This JVM only (no broker yet: the raw encoder loop). */
  static CpuClock jvmOnly() {
    return new CpuClock(-1, -1);
  }

  static CpuClock withChildren(long brokerPid, long registryPid) {
    return new CpuClock(brokerPid, registryPid);
  }

  /** CPU seconds spent so far. */
  Sample now() {
    return new Sample(jvmNanos(), childNanos(brokerPid), childNanos(registryPid));
  }

  static long jvmNanos() {
    var os = ManagementFactory.getOperatingSystemMXBean();
    if (os instanceof OperatingSystemMXBean sun) {
      long t = sun.getProcessCpuTime();
      if (t >= 0) {
        return t;
      }
    }
    return ProcessHandle.current().info().totalCpuDuration().map(Duration::toNanos).orElse(0L);
  }

  private static long childNanos(long pid) {
    if (pid < 0) {
      return 0;
    }
    return ProcessHandle.of(pid).flatMap(h -> h.info().totalCpuDuration()).map(Duration::toNanos).orElse(0L);
  }

  /** CPU nanoseconds used by this JVM, the broker and the registry (cumulative, or a difference of two). */
  record Sample(long jvm, long broker, long registry) {

    Sample minus(Sample earlier) {
      return new Sample(jvm - earlier.jvm, broker - earlier.broker, registry - earlier.registry);
    }

    /** What the stream figure counts: this JVM and the broker (the registry only answers cached schema lookups). */
    long stream() {
      return jvm + broker;
    }
  }
}
