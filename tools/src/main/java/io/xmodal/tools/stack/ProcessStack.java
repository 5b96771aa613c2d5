package io.xmodal.tools.stack;

import io.xmodal.embedded.ChildProcess;
import io.xmodal.embedded.EmbeddedBroker;
import io.xmodal.embedded.EmbeddedRuntime;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.JvmLimits;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.health.Dependencies;
import io.xmodal.platform.service.ServiceLauncher;
import io.xmodal.platform.streams.ServiceRunner;
import io.xmodal.platform.topics.TopicCatalogue;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * What {@code ./xmodal up --instances N} runs: the embedded runtime (a cluster of {@code brokers} nodes and the
 * registry, unless {@code KAFKA_BOOTSTRAP_SERVERS} names a cluster), the topics, and N child JVMs per service, each
 * running {@code xmodal service NAME} (the same {@link Stack.Service} definitions the one-JVM stack runs) with its
 * own work directory ({@code <work>/instances/<service>-<i>}) and log ({@code <work>/logs/<service>-<i>.log}).
 *
 * <p>Every child is a {@link Member} with a role ("broker-2", "registry", "ingest-1"): it can be killed
 * ({@code kill -9}) and restarted, and a child that exits while the stack runs is reported to the listener (and
 * restarted if the stack was started with {@code restart}). Closing stops the services, then the registry and the
 * brokers; children whose parent dies stop by themselves ({@link io.xmodal.platform.process.ChildWatchdog}).
 */
public final class ProcessStack implements AutoCloseable {

  private static final Duration READY_TIMEOUT = Duration.ofMinutes(5);

  /** Lines for the operator: a child exited, was restarted. */
  private final Consumer<String> events;
  private final boolean restart;
  private final Backing backing;
  private final PlatformConfig config;
  private final ConfigSource source;
  private TopicCatalogue topics;
  private final List<Member> members = new ArrayList<>();
  private final AtomicBoolean closed = new AtomicBoolean();
  private final ExecutorService restarts = Executors.newCachedThreadPool(r -> {
    Thread t = new Thread(r, "xmodal-restart");
    t.setDaemon(true);
    return t;
  });

  /** One child process of the stack: its role, the process it runs as now, and how it starts again. */
  public final class Member {
    private final String role;
    private final Restarter restarter;
    private volatile ChildProcess process;

    private Member(String role, ChildProcess process, Restarter restarter) {
      this.role = role;
      this.restarter = restarter;
      this.process = process;
    }

    /** "broker-1", "registry", "ingest-2", … */
    public String role() {
      return role;
    }

    /** The process it runs as now (a new one after each restart). */
    public ChildProcess process() {
      return process;
    }

    /** {@code kill -9}; returns the exit code. It stays down until {@link #restart} (or the stack's restart policy). */
    public int kill() throws InterruptedException {
      return process.kill();
    }

    /** Starts it again (stopping it first if it still runs) on the same data, ports and work directory; waits until
     * it is ready (a broker serves clients, a service is RUNNING) and returns the new process. */
    public synchronized ChildProcess restart() throws InterruptedException {
      process.stop(Duration.ofSeconds(30));
      process = restarter.restart();
      watch(this, process);
      return process;
    }
  }

  @FunctionalInterface
  private interface Restarter {
    ChildProcess restart() throws InterruptedException;
  }

  private ProcessStack(Backing backing, ConfigSource source, boolean restart, Consumer<String> events) {
    this.backing = backing;
    this.config = backing.config();
    this.source = source;
    this.restart = restart;
    this.events = events;
  }

  /**
   * Starts the runtime ({@code brokers} nodes), creates the topics, starts {@code instances} children of each service
   * in {@code which} at once and waits until every one is RUNNING. {@code waiting} is told what the launcher waits
   * for (as in {@link Stack#start}); {@code events} gets a line whenever a child exits or is restarted afterwards.
   */
  public static ProcessStack start(ConfigSource source, Set<Stack.Service> which, int brokers, int instances,
                            boolean restart, Consumer<String> waiting, Consumer<String> events)
      throws InterruptedException {
    source = Stack.forBrokers(source, brokers);
    Backing backing = Backing.start(source, brokers);
    ProcessStack stack = new ProcessStack(backing, source, restart, events);
    try {
      backing.runtime().ifPresent(stack::addRuntimeMembers);
      stack.topics = ServiceRunner.prepare(stack.config, true, Dependencies.Wait.forever().reportingTo(waiting)).topics();
      List<Member> started = new ArrayList<>();
      for (Stack.Service s : Stack.Service.values()) {
        if (which.contains(s)) {
          for (int i = 1; i <= instances; i++) {
            started.add(stack.startInstance(s, i));
          }
        }
      }
      for (Member m : started) {
        m.process().awaitReady(READY_TIMEOUT);
      }
      return stack;
    } catch (RuntimeException | InterruptedException e) {
      stack.close();
      throw e;
    }
  }

  private void addRuntimeMembers(EmbeddedRuntime r) {
    for (EmbeddedBroker node : r.cluster().nodes()) {
      int id = node.node().id();
      add(new Member("broker-" + id, node.process(),
          () -> r.cluster().restart(id, Duration.ofMinutes(2)).process()));
    }
    add(new Member("registry", r.registry().process(), () -> {
      throw new UnsupportedOperationException("the registry is not restarted; restart 'up'");
    }));
  }

  private Member startInstance(Stack.Service service, int index) {
    String role = service.definition().name() + "-" + index;
    Member m = new Member(role, launch(service, role), () -> {
      ChildProcess p = launch(service, role);
      p.awaitReady(READY_TIMEOUT);
      return p;
    });
    add(m);
    return m;
  }

  /**
   * The CLI's main class, which runs one service as {@code xmodal service NAME}: named, not referenced, since the CLI
   * depends on the tools (app's {@code XmodalCliHelpTest} checks the name).
   */
  public static final String LAUNCHER_MAIN = "io.xmodal.app.cli.XmodalCli";

  /** {@code java -cp <this classpath> XmodalCli service NAME}, with this launcher's settings pointed at the runtime. */
  private ChildProcess launch(Stack.Service service, String role) {
    Path dir = config.workDir().resolve("instances").resolve(role);
    Map<String, String> env = new HashMap<>(source.settings());
    env.put("KAFKA_BOOTSTRAP_SERVERS", config.requireBootstrap());
    env.put("XMODAL_REGISTRY_URL", config.requireRegistryUrl());
    env.put("XMODAL_WORK_DIR", dir.toString());
    env.put("XMODAL_SHARED_DIR", config.sharedDir().toString());
    env.put("XMODAL_REPLICATION_FACTOR", Short.toString(config.topics().replication()));
    env.put("XMODAL_CREATE_TOPICS", "false");
    env.putAll(JvmLimits.of(JvmLimits.Role.SERVICE, source).environment());
    return ChildProcess.start(role, serviceJvm(source), System.getProperty("java.class.path"), LAUNCHER_MAIN,
        List.of("service", service.name()), env, dir, config.workDir().resolve("logs").resolve(role + ".log"),
        line -> line.startsWith(ServiceLauncher.READY));
  }

  /**
   * A service instance's JVM options: its memory limits ({@link JvmLimits.Role#SERVICE}: {@code XMODAL_SERVICE_HEAP},
   * 1g, {@code XMODAL_SERVICE_DIRECT_MEMORY}, 512m, and JavaCPP's), headless, DJL offline, then {@code
   * XMODAL_SERVICE_JAVA_OPTS} split on whitespace (e.g. a smaller JIT where many JVMs start on few cores), which
   * override any of them.
   */
  public static List<String> serviceJvm(ConfigSource source) {
    List<String> jvm = new ArrayList<>(JvmLimits.of(JvmLimits.Role.SERVICE, source).jvmOptions());
    jvm.addAll(List.of("-Djava.awt.headless=true", "-Dai.djl.offline=true"));
    String extra = source.string("XMODAL_SERVICE_JAVA_OPTS", "").strip();
    if (!extra.isEmpty()) {
      jvm.addAll(List.of(extra.split("\\s+")));
    }
    return jvm;
  }

  private synchronized void add(Member m) {
    members.add(m);
    watch(m, m.process());
  }

  /** Reports the exit of {@code process} while the stack runs, and restarts the member if so asked. */
  private void watch(Member m, ChildProcess process) {
    process.onExit().thenAccept(code -> {
      if (closed.get() || m.process() != process) {
        return;
      }
      events.accept(String.format("%s (pid %d) exited with code %d%s", m.role(), process.pid(), code,
          restart ? "; restarting it" : "; not restarted (--restart would)"));
      if (restart) {
        restarts.submit(() -> {
          long t0 = System.nanoTime();
          try {
            ChildProcess fresh = m.restart();
            events.accept(String.format("%s restarted (pid %d), ready in %.1f s", m.role(), fresh.pid(),
                (System.nanoTime() - t0) / 1e9));
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          } catch (RuntimeException e) {
            if (!closed.get()) {
              events.accept(m.role() + " could not be restarted: " + e.getMessage());
            }
          }
        });
      }
    });
  }

  /** Every child, brokers first, then the registry, then the service instances in start order. */
  public synchronized List<Member> members() {
    return List.copyOf(members);
  }

  /** The child with this role ("broker-2", "ingest-1"). */
  public Member member(String role) {
    return members().stream().filter(m -> m.role().equals(role)).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no process with role " + role));
  }

  public Optional<EmbeddedRuntime> runtime() {
    return backing.runtime();
  }

  public PlatformConfig config() {
    return config;
  }

  public TopicCatalogue topics() {
    return topics;
  }

  /** The services' instances (all at once), then the registry and the brokers; once. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    restarts.shutdownNow();
    List<Member> instances = members().stream()
        .filter(m -> !m.role().startsWith("broker-") && !m.role().equals("registry")).toList();
    instances.forEach(m -> m.process().requestStop());
    instances.forEach(m -> m.process().stop(Duration.ofSeconds(45)));
    backing.close();
  }
}
