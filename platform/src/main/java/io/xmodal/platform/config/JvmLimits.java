package io.xmodal.platform.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The memory limits of one JVM that xmodal runs, and the JVM options and environment that impose them: the one place
 * where they are defined. Each JVM has a {@link Role} whose settings and defaults are listed there; the {@code xmodal}
 * launcher script starts its own JVM with the {@link Role#LAUNCHER} limits (it asks {@code
 * io.xmodal.app.cli.LauncherLimits} for them), the embedded runtime starts the broker and the registry with
 * theirs, and {@code up --instances} each service instance with {@link Role#SERVICE}'s. A JVM's own options given
 * after these ({@code XMODAL_JAVA_OPTS}, {@code XMODAL_SERVICE_JAVA_OPTS}) override them.
 *
 * @param heap           the most Java heap ({@code -Xmx})
 * @param directMemory   the most memory in direct byte buffers ({@code -XX:MaxDirectMemorySize}): DJL's copies of
 *                       model inputs for ONNX Runtime and PyTorch, the JDK's per-thread socket buffers of the Kafka
 *                       clients and the broker; over it, the JVM collects garbage, then throws OutOfMemoryError
 * @param javacpp        the limits of JavaCPP, which ND4J (the mappings' linear algebra) is built on, in a JVM that
 *                       runs the services; empty for the broker and the registry, which do not load it
 * @param mallocArenaMax glibc's {@code MALLOC_ARENA_MAX} in the JVM's environment ({@code XMODAL_MALLOC_ARENA_MAX},
 *                       default 2): glibc otherwise gives each thread that allocates natively (ONNX Runtime's and
 *                       PyTorch's workers, RocksDB's) its own arena, up to 8 per core, and keeps the memory freed in
 *                       each; 0 leaves glibc's default
 */
public record JvmLimits(ByteSize heap, ByteSize directMemory, Optional<JavaCpp> javacpp, int mallocArenaMax) {

  public static final String JAVACPP_MAX_BYTES = "XMODAL_JAVACPP_MAX_BYTES";
  public static final String JAVACPP_MAX_PHYSICAL_BYTES = "XMODAL_JAVACPP_MAX_PHYSICAL_BYTES";
  public static final String MALLOC_ARENA_MAX = "XMODAL_MALLOC_ARENA_MAX";

  /**
   * The JVMs xmodal runs, each with the settings that size its heap and direct memory and their defaults (the
   * reasons for each figure: docs/operations.md#memory). A JVM that runs services also gets the {@link JavaCpp}
   * limits ({@value #JAVACPP_MAX_BYTES}, default 1g; {@value #JAVACPP_MAX_PHYSICAL_BYTES}, default 16g).
   */
  public enum Role {
    /** The JVM of {@code ./xmodal}: every command, and in {@code demo} and {@code up} the four services at once. */
    LAUNCHER("XMODAL_HEAP", "1536m", "XMODAL_DIRECT_MEMORY", "1g", true),
    /** A child JVM of {@code up --instances N} that runs one service ({@code xmodal service NAME}). */
    SERVICE("XMODAL_SERVICE_HEAP", "1g", "XMODAL_SERVICE_DIRECT_MEMORY", "512m", true),
    /** An embedded Kafka broker (a KRaft node); direct memory as large as the heap, the JVM's implicit default. */
    BROKER("XMODAL_BROKER_HEAP", "512m", "XMODAL_BROKER_DIRECT_MEMORY", "512m", false),
    /** The embedded Apicurio registry; direct memory as large as the heap, the JVM's implicit default. */
    REGISTRY("XMODAL_REGISTRY_HEAP", "256m", "XMODAL_REGISTRY_DIRECT_MEMORY", "256m", false);

    private final String heapSetting;
    private final ByteSize heapDefault;
    private final String directSetting;
    private final ByteSize directDefault;
    private final boolean runsServices;

    Role(String heapSetting, String heapDefault, String directSetting, String directDefault, boolean runsServices) {
      this.heapSetting = heapSetting;
      this.heapDefault = ByteSize.parse(heapDefault);
      this.directSetting = directSetting;
      this.directDefault = ByteSize.parse(directDefault);
      this.runsServices = runsServices;
    }

    public String heapSetting() {
      return heapSetting;
    }

    public String directMemorySetting() {
      return directSetting;
    }
  }

  /**
   * JavaCPP's limits (ND4J 1.0.0-M2.1 on JavaCPP 1.5.7). ND4J's arrays live outside the heap and are freed only after a
   * garbage collection has found their small Java objects unreachable, so while the trainer computes (a lot of native
   * memory, little heap) nothing collects them. JavaCPP checks both limits whenever it allocates memory of its own,
   * which ND4J does at every operation: over either, it runs the garbage collector and waits, up to 10 times 100 ms,
   * and then throws OutOfMemoryError.
   *
   * @param maxBytes         {@code org.bytedeco.javacpp.maxbytes} ({@value #JAVACPP_MAX_BYTES}, default 1g):
   *                         memory JavaCPP allocated itself, which does not include ND4J's arrays (measured: with
   *                         4 GB of them, {@code Pointer.totalBytes()} stayed 0), so it bounds only small pointers
   * @param maxPhysicalBytes {@code org.bytedeco.javacpp.maxphysicalbytes} ({@value #JAVACPP_MAX_PHYSICAL_BYTES},
   *                         default 16g): the resident set of the whole process (heap, ND4J's arrays, ONNX Runtime,
   *                         PyTorch, RocksDB); what bounds ND4J's garbage (measured: 21 unreferenced 200-MB arrays
   *                         peaked at 4.1 GB without it, at 1.45 GB with 1500m). Live memory above it is an
   *                         OutOfMemoryError, so it must stay above the JVM's real need; JavaCPP's own default is
   *                         maxBytes plus three times the heap
   */
  public record JavaCpp(ByteSize maxBytes, ByteSize maxPhysicalBytes) {}

  public JvmLimits {
    if (mallocArenaMax < 0) {
      throw new ConfigException(MALLOC_ARENA_MAX + " must be 0 (glibc's default) or more, got " + mallocArenaMax);
    }
    if (javacpp.isPresent() && javacpp.get().maxPhysicalBytes().bytes() <= heap.bytes()) {
      throw new ConfigException(JAVACPP_MAX_PHYSICAL_BYTES + " (" + javacpp.get().maxPhysicalBytes() + ") must be "
          + "larger than the heap (" + heap + "): it bounds the whole process, heap included");
    }
  }

  /** The limits of a JVM in {@code role}, from its settings (the defaults of {@link Role} where unset). */
  public static JvmLimits of(Role role, ConfigSource source) {
    Optional<JavaCpp> javacpp = role.runsServices
        ? Optional.of(new JavaCpp(source.byteSize(JAVACPP_MAX_BYTES, ByteSize.parse("1g")),
            source.byteSize(JAVACPP_MAX_PHYSICAL_BYTES, ByteSize.parse("16g"))))
        : Optional.empty();
    return new JvmLimits(source.byteSize(role.heapSetting, role.heapDefault),
        source.byteSize(role.directSetting, role.directDefault), javacpp, source.integer(MALLOC_ARENA_MAX, 2));
  }

  /** {@code -Xmx…}, {@code -XX:MaxDirectMemorySize=…} and JavaCPP's two properties where they apply. */
  public List<String> jvmOptions() {
    List<String> options = new ArrayList<>(List.of("-Xmx" + heap, "-XX:MaxDirectMemorySize=" + directMemory));
    javacpp.ifPresent(j -> {
      options.add("-Dorg.bytedeco.javacpp.maxbytes=" + j.maxBytes());
      options.add("-Dorg.bytedeco.javacpp.maxphysicalbytes=" + j.maxPhysicalBytes());
    });
    return List.copyOf(options);
  }

  /** The environment variables the JVM must start with: {@code MALLOC_ARENA_MAX} unless 0. */
  public Map<String, String> environment() {
    return mallocArenaMax == 0 ? Map.of() : Map.of("MALLOC_ARENA_MAX", Integer.toString(mallocArenaMax));
  }
}
