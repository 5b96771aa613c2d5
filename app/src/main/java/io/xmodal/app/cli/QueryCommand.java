package io.xmodal.app.cli;

import io.xmodal.client.query.QueryClient;
import io.xmodal.platform.config.ConfigSource;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.schemas.Hit;
import io.xmodal.schemas.Modality;
import io.xmodal.schemas.Query;
import io.xmodal.schemas.QueryResult;
import io.xmodal.tools.stack.Endpoints;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.function.BiConsumer;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "query", mixinStandardHelpOptions = true,
    description = {
        "Ask query-stream through xmodal.queries and print the ranked answer: images for a text, captions for an image.",
        "Talks to the running './xmodal up' or './xmodal demo', or to KAFKA_BOOTSTRAP_SERVERS + XMODAL_REGISTRY_URL."})
final class QueryCommand implements Callable<Integer> {

  static final class Input {
    @Option(names = "--text", paramLabel = "TEXT", description = "Find images for this text.")
    String text;

    @Option(names = "--image", paramLabel = "FILE", description = "Find captions for this image (JPEG or PNG).")
    Path image;

    @Option(names = "--caption-id", paramLabel = "ID", description = "Find images for a caption already ingested.")
    String captionId;

    @Option(names = "--image-id", paramLabel = "ID", description = "Find captions for an image already ingested.")
    String imageId;
  }

  @ArgGroup(exclusive = true, multiplicity = "1")
  Input input;

  @Option(names = {"-k", "--k"}, defaultValue = "5", description = "How many results (default ${DEFAULT-VALUE}).")
  int k;

  @Option(names = "--mapping", defaultValue = "default", description = "Mapping name (default ${DEFAULT-VALUE}).")
  String mapping;

  @Option(names = "--gallery", paramLabel = "SOURCE",
      description = "Only items from this source, e.g. flickr8k:dev (default: everything).")
  String gallery;

  @Option(names = "--html", paramLabel = "FILE", description = "Also write a page with thumbnails.")
  Path html;

  @Option(names = "--timeout", defaultValue = "PT60S", description = "How long to wait (default ${DEFAULT-VALUE}).")
  Duration timeout;

  @Override
  public Integer call() throws Exception {
    PlatformConfig config = Endpoints.resolve(PlatformConfig.from(ConfigSource.fromEnvironment()));
    TopicCatalogue topics = MappingCommand.topics(config);
    Query.Builder q = Query.newBuilder().setQueryId(UUID.randomUUID().toString()).setK(k).setMappingName(mapping)
        .setGallery(gallery).setSentAt(Instant.now());
    boolean textQuery = input.text != null || input.captionId != null;
    q.setModality(textQuery ? Modality.TEXT : Modality.IMAGE);
    if (input.text != null) {
      q.setText(input.text);
    } else if (input.image != null) {
      q.setImageBytes(ByteBuffer.wrap(Files.readAllBytes(input.image)));
    } else {
      q.setExistingId(input.captionId != null ? input.captionId : input.imageId);
    }
    Query query = q.build();
    QueryResult result;
    long roundTripNanos;
    try (QueryClient client = new QueryClient(config, topics)) {
      long sent = System.nanoTime();
      client.send(query);
      client.flush();
      result = client.await(Set.of(query.getQueryId()), timeout, null).get(query.getQueryId());
      roundTripNanos = System.nanoTime() - sent;
    }
    PrintStream out = System.out;
    if (result == null) {
      out.println("no answer within " + timeout + "; is query-stream running ('./xmodal up')?");
      return 1;
    }
    if (result.getError() != null) {
      out.println("error: " + result.getError());
      return 1;
    }
    Map<String, String> captions = textQuery ? Map.of() : captionTexts(config, topics, ids(result));
    Path images = config.sharedDir().resolve("datasets").resolve("flickr8k").resolve("images");
    out.println(timings(result, roundTripNanos));
    int rank = 1;
    for (Hit h : result.getHits()) {
      String what = textQuery ? (Files.isRegularFile(images.resolve(h.getId())) ? images.resolve(h.getId()).toString()
          : h.getId()) : h.getId() + "  " + captions.getOrDefault(h.getId(), "");
      out.printf("%2d. %7.4f  %s%n", rank++, h.getScore(), what);
    }
    if (html != null) {
      writeHtml(config, topics, query, result, captions);
      out.println("wrote " + html.toAbsolutePath());
    }
    return 0;
  }

  /**
   * The result's timings as QueryResult.avsc defines them (encode and search inside query-stream's total for the
   * query, measured there), and the round trip this command measured itself, from sending to receiving.
   */
  static String timings(QueryResult r, long roundTripNanos) {
    return String.format("mapping %s v%d; in query-stream %.1f ms (encode %.1f ms, search %.1f ms); round trip %.1f ms",
        r.getMappingName(), r.getMappingVersion(), r.getTotalMicros() / 1000.0, r.getEncodeMicros() / 1000.0,
        r.getSearchMicros() / 1000.0, roundTripNanos / 1e6);
  }

  private static Set<String> ids(QueryResult r) {
    Set<String> ids = new HashSet<>();
    r.getHits().forEach(h -> ids.add(h.getId()));
    return ids;
  }

  /** Caption texts of {@code ids}, read from xmodal.captions. */
  static Map<String, String> captionTexts(PlatformConfig config, TopicCatalogue topics, Set<String> ids) {
    Map<String, String> out = new HashMap<>();
    scan(config, topics.captions().name(), topics.captions().valueSerde().deserializer(), (key, c) -> {
      if (ids.contains(key)) {
        out.put(key, c.getText());
      }
    });
    return out;
  }

  /** Image bytes of {@code ids}, read from xmodal.images. */
  static Map<String, byte[]> imageBytes(PlatformConfig config, TopicCatalogue topics, Set<String> ids) {
    Map<String, byte[]> out = new HashMap<>();
    scan(config, topics.images().name(), topics.images().valueSerde().deserializer(), (key, i) -> {
      if (ids.contains(key) && i.getBytes() != null) {
        ByteBuffer b = i.getBytes().duplicate();
        byte[] bytes = new byte[b.remaining()];
        b.get(bytes);
        out.put(key, bytes);
      }
    });
    return out;
  }

  private static <V> void scan(PlatformConfig config, String topic,
                               Deserializer<V> values,
                               BiConsumer<String, V> each) {
    Map<String, Object> props = config.consumerConfig();
    try (KafkaConsumer<String, V> consumer = new KafkaConsumer<>(props, new StringDeserializer(), values)) {
      List<TopicPartition> parts = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      Map<TopicPartition, Long> end = consumer.endOffsets(parts);
      while (parts.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        consumer.poll(Duration.ofMillis(300)).forEach(r -> {
          if (r.value() != null) {
            each.accept(r.key(), r.value());
          }
        });
      }
    }
  }

  private void writeHtml(PlatformConfig config, TopicCatalogue topics, Query q, QueryResult r,
                         Map<String, String> captions) throws IOException {
    StringBuilder sb = new StringBuilder("<!doctype html><html><head><meta charset=\"utf-8\"><title>xmodal query</title>"
        + "<style>body{font-family:sans-serif;margin:2em}figure{display:inline-block;margin:.5em;text-align:center}"
        + "img{max-width:224px;max-height:224px}li{margin:.3em 0}</style></head><body>");
    sb.append("<h1>xmodal: ").append(q.getModality() == Modality.TEXT ? "text → images" : "image → captions")
        .append("</h1><p>mapping ").append(esc(r.getMappingName())).append(" v").append(r.getMappingVersion())
        .append(", ").append(String.format("%.1f", r.getTotalMicros() / 1000.0)).append(" ms in query-stream</p>");
    if (q.getText() != null) {
      sb.append("<p><b>query:</b> ").append(esc(q.getText())).append("</p>");
    }
    if (q.getImageBytes() != null) {
      sb.append("<p><b>query:</b><br>").append(img(bytes(q.getImageBytes()))).append("</p>");
    }
    if (q.getModality() == Modality.TEXT) {
      Map<String, byte[]> images = imageBytes(config, topics, ids(r));
      int rank = 1;
      for (Hit h : r.getHits()) {
        sb.append("<figure>").append(images.containsKey(h.getId()) ? img(images.get(h.getId())) : "")
            .append("<figcaption>").append(rank++).append(". ").append(esc(h.getId())).append(" (")
            .append(String.format("%.3f", h.getScore())).append(")</figcaption></figure>");
      }
    } else {
      sb.append("<ol>");
      for (Hit h : r.getHits()) {
        sb.append("<li>").append(esc(captions.getOrDefault(h.getId(), h.getId()))).append(" <small>(")
            .append(String.format("%.3f", h.getScore())).append(")</small></li>");
      }
      sb.append("</ol>");
    }
    sb.append("</body></html>\n");
    Files.writeString(html, sb.toString());
  }

  private static String img(byte[] bytes) {
    String type = bytes.length > 3 && (bytes[0] & 0xFF) == 0x89 ? "image/png" : "image/jpeg";
    return "<img src=\"data:" + type + ";base64," + Base64.getEncoder().encodeToString(bytes) + "\">";
  }

  private static byte[] bytes(ByteBuffer b) {
    ByteBuffer d = b.duplicate();
    byte[] out = new byte[d.remaining()];
    d.get(out);
    return out;
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }

}
