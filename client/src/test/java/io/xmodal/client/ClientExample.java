package io.xmodal.client;

import io.xmodal.client.dataset.Dataset;
import io.xmodal.client.dataset.FolderDataset;
import io.xmodal.client.mapping.MappingHistory;
import io.xmodal.client.metrics.MetricsView;
import io.xmodal.client.publish.DatasetPublisher;
import io.xmodal.client.query.QueryClient;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.serde.RegistryAvroSerdes;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.schemas.Modality;
import io.xmodal.schemas.Query;
import io.xmodal.schemas.QueryResult;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Set;
import java.util.UUID;

/**
 * The example of {@code client/README.md}, which quotes the lines between the two markers word for word
 * ({@link ClientReadmeTest}); compiled with the tests so that it keeps up with the library.
 */
final class ClientExample {

  private ClientExample() {}

  // readme:begin
  // against the cluster the XMODAL_* and KAFKA_* settings name (127.0.0.1:29092 and :28081 by default)
  public static void main(String[] args) throws Exception {
    PlatformConfig config = PlatformConfig.from(ConfigSource.fromEnvironment());
    TopicCatalogue topics = TopicCatalogue.create(config.topics(), RegistryAvroSerdes.of(config));

    // publish a folder of images with a captions.csv (columns image, caption), every record acknowledged
    Dataset photos = FolderDataset.load(Path.of("photos"), Path.of("photos/captions.csv"), 0);
    new DatasetPublisher(config, topics).publish(photos, System.out);

    // ask a text query and wait for its result (committed results only)
    Query query = Query.newBuilder().setQueryId(UUID.randomUUID().toString()).setModality(Modality.TEXT)
        .setText("a dog runs through the snow").setK(5).setMappingName("default").setSentAt(Instant.now()).build();
    try (QueryClient client = new QueryClient(config, topics)) {
      client.send(query);
      client.flush();
      QueryResult result = client.await(Set.of(query.getQueryId()), Duration.ofSeconds(60), null)
          .get(query.getQueryId());
      System.out.println(result == null ? "no answer within 60 s" : result.getHits());
    }

    // the mapping versions published so far, and the metrics of the last ten minutes
    MappingHistory.read(config, topics).forEach(m -> System.out.println(m.getName() + " v" + m.getVersion()));
    try (MetricsView metrics = new MetricsView(config, topics, Duration.ofMinutes(10), null, false)) {
      metrics.catchUp();
      System.out.print(metrics.render(false));
    }
  }
  // readme:end
}
