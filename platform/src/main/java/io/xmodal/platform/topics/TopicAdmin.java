package io.xmodal.platform.topics;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
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
      warnAboutPartitionCounts(admin, catalogue, timeout);
      return missing.stream().map(NewTopic::name).toList();
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("could not create the xmodal topics: " + e.getMessage(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    }
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
