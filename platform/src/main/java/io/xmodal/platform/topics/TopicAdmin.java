package io.xmodal.platform.topics;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Creates the catalogue's topics that do not exist yet; leaves existing ones as they are. */
public final class TopicAdmin {

  private static final Logger LOG = LoggerFactory.getLogger(TopicAdmin.class);

  private TopicAdmin() {}

  /** Returns the names it created. */
  public static List<String> ensureTopics(Map<String, Object> adminConfig, TopicCatalogue catalogue,
                                          Duration timeout) {
    try (Admin admin = Admin.create(adminConfig)) {
      Set<String> existing = admin.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      List<NewTopic> missing = new ArrayList<>();
      for (TopicSpec<?, ?> spec : catalogue.all()) {
        if (!existing.contains(spec.name())) {
          missing.add(spec.newTopic());
        }
      }
      if (!missing.isEmpty()) {
        try {
          admin.createTopics(missing).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw e;
          }
        }
      }
      List<String> created = missing.stream().map(NewTopic::name).toList();
      awaitLeaders(admin, created, timeout);
      warnAboutPartitionCounts(admin, catalogue, timeout);
      return created;
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("could not create the xmodal topics: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    }
  }

  /**
   * Waits until every partition of the new topics has a leader. Producing to a topic whose leadership has not
   * propagated yet draws NOT_LEADER errors, and an idempotent producer that retries those can fall out of sequence
   * (OutOfOrderSequenceException) and stall.
   */
  private static void awaitLeaders(Admin admin, List<String> topics, Duration timeout)
      throws ExecutionException, InterruptedException, TimeoutException {
    if (topics.isEmpty()) {
      return;
    }
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
        Map<String, TopicDescription> described =
            admin.describeTopics(topics).allTopicNames().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        Map<TopicPartition, OffsetSpec> partitions = new HashMap<>();
        described.values().forEach(d -> d.partitions().forEach(
            p -> partitions.put(new TopicPartition(d.name(), p.partition()), OffsetSpec.latest())));
        // answered by the leader's log itself: succeeds only once the broker has loaded every partition
        admin.listOffsets(partitions).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        return;
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof RetriableException) || System.nanoTime() > deadline) {
          throw e;
        }
      }
      Thread.sleep(100);
    }
  }

  /**
   * Waits until every partition of every topic (the internal ones too) has all its replicas in sync: after a broker
   * restarts, the moment it has caught up. Throws {@link IllegalStateException} naming the lagging partitions if it
   * has not happened within {@code timeout}.
   */
  public static void awaitInSync(Map<String, Object> adminConfig, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    try (Admin admin = Admin.create(adminConfig)) {
      List<String> lagging = List.of("(not asked yet)");
      while (System.nanoTime() < deadline) {
        try {
          lagging = outOfSync(admin, Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
          if (lagging.isEmpty()) {
            return;
          }
        } catch (ExecutionException | TimeoutException e) {
          lagging = List.of("(" + e.getMessage() + ")");
        }
        Thread.sleep(200);
      }
      throw new IllegalStateException("replicas not in sync within " + timeout.toSeconds() + " s: " + lagging);
    }
  }

  /** The partitions whose in-sync replicas are fewer than their replicas, as {@code topic-partition isr/replicas}. */
  private static List<String> outOfSync(Admin admin, Duration timeout)
      throws ExecutionException, InterruptedException, TimeoutException {
    Set<String> names = admin.listTopics(new ListTopicsOptions().listInternal(true)).names()
        .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    Map<String, TopicDescription> described =
        admin.describeTopics(names).allTopicNames().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    List<String> lagging = new ArrayList<>();
    described.values().forEach(d -> d.partitions().forEach(p -> {
      if (p.isr().size() < p.replicas().size()) {
        lagging.add(d.name() + "-" + p.partition() + " " + p.isr().size() + "/" + p.replicas().size());
      }
    }));
    return lagging;
  }

  private static void warnAboutPartitionCounts(Admin admin, TopicCatalogue catalogue, Duration timeout)
      throws ExecutionException, InterruptedException, TimeoutException {
    List<String> names = catalogue.all().stream().map(TopicSpec::name).toList();
    Map<String, TopicDescription> described =
        admin.describeTopics(names).allTopicNames().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    for (TopicSpec<?, ?> spec : catalogue.all()) {
      TopicDescription d = described.get(spec.name());
      if (d != null && d.partitions().size() != spec.partitions()) {
        LOG.warn("topic {} has {} partitions, XMODAL_PARTITIONS asks for {}; existing topics are not changed",
            spec.name(), d.partitions().size(), spec.partitions());
      }
    }
  }
}
