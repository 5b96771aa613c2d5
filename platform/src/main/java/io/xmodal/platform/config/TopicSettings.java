package io.xmodal.platform.config;

/**
 * How topics are named and sized.
 *
 * @param prefix           topic name prefix ({@code XMODAL_TOPIC_PREFIX}, default {@code xmodal})
 * @param partitions       partitions of every topic ({@code XMODAL_PARTITIONS}, default 3)
 * @param replication      replication factor ({@code XMODAL_REPLICATION_FACTOR}, default 1)
 * @param maxMessageBytes  largest record, images and mapping models included ({@code XMODAL_MAX_MESSAGE_BYTES},
 *                         default {@link #DEFAULT_MAX_MESSAGE_BYTES}: the default gMLP map, three blocks and its
 *                         hubness references included, is about 19 MB, each further block about 1.4 MB more; kept
 *                         under a producer's default 32-MiB {@code buffer.memory}, which refuses larger records)
 */
public record TopicSettings(String prefix, int partitions, short replication, int maxMessageBytes) {

  /** The largest mapping version the trainer publishes: a record less 64 KiB of headroom for its framing. */
  public int maxMappingBytes() {
    return maxMessageBytes - 64 * 1024;
  }


  /** 24 MiB. */
  public static final int DEFAULT_MAX_MESSAGE_BYTES = 24 * 1024 * 1024;

  public TopicSettings {
    if (prefix == null || prefix.isBlank() || !prefix.matches("[A-Za-z0-9._-]+")) {
      throw new ConfigException("XMODAL_TOPIC_PREFIX must be letters, digits, '.', '_' or '-', got '" + prefix + "'");
    }
    if (partitions < 1 || replication < 1) {
      throw new ConfigException("XMODAL_PARTITIONS and XMODAL_REPLICATION_FACTOR must be at least 1");
    }
  }

  /**
   * The {@code min.insync.replicas} that goes with a replication factor: 2 from three replicas on (a write is on two
   * brokers before it is acknowledged, and one broker may be down), else 1 (a single broker down would block writes).
   */
  public static int minInsyncReplicas(int replication) {
    return replication >= 3 ? 2 : 1;
  }

  /**
   * A producer's {@code buffer.memory} for these topics: a producer refuses a record larger than its buffer whatever
   * {@code max.request.size} says, so twice the largest record, and never below Kafka's default 32 MiB.
   */
  public long producerBufferBytes() {
    return Math.max(32L << 20, 2L * maxMessageBytes);
  }

  /** {@link #minInsyncReplicas(int)} of these topics. */
  public int minInsyncReplicas() {
    return minInsyncReplicas(replication);
  }

  public static TopicSettings from(ConfigSource source) {
    return new TopicSettings(
        source.string("XMODAL_TOPIC_PREFIX", "xmodal"),
        source.positiveInt("XMODAL_PARTITIONS", 3),
        (short) source.positiveInt("XMODAL_REPLICATION_FACTOR", 1),
        source.positiveInt("XMODAL_MAX_MESSAGE_BYTES", DEFAULT_MAX_MESSAGE_BYTES));
  }
}
