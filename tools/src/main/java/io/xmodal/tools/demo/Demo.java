package io.xmodal.tools.demo;

import io.xmodal.client.dataset.Dataset;
import io.xmodal.client.mapping.MappingHistory;
import io.xmodal.client.publish.DatasetPublisher;
import io.xmodal.client.query.QueryClient;
import io.xmodal.mapping.CrossModalMap;
import io.xmodal.mapping.HeldOut;
import io.xmodal.mapping.Linalg;
import io.xmodal.mapping.Recall;
import io.xmodal.mapping.Vectors;
import io.xmodal.mapping.codec.MappingCodec;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.schemas.MappingModel;
import io.xmodal.schemas.Modality;
import io.xmodal.schemas.Query;
import io.xmodal.schemas.QueryResult;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * The whole system on one machine: publish the training split (captions paired with their images) and the evaluation
 * split (its captions as free text, so the trainer never learns from it), wait until everything is encoded and the
 * trainer has published a version fitted on every training pair, then send every evaluation caption as a text→image
 * query and every evaluation image as an image→text query through xmodal.queries, with their expected ids, and
 * measure recall, throughput and latency from the results.
 *
 * <p>Every query's text or image is in the galleries already (the evaluation split was ingested and encoded), so
 * query-stream answers it with the stored embedding of the same content (when the embeddings carry their content
 * hash) rather than encoding it again: the vector the encoder gave, so recall is unchanged. To measure the real query
 * path too, a sample ({@link #SAMPLE_CAPTIONS} captions and {@link #SAMPLE_IMAGES} images, spread over the split) is
 * sent first, on its own, with {@code forceEncode}; the report says how many queries were encoded and how many
 * reused a stored embedding.
 */
public final class Demo {

  /** Evaluation captions, and images, sent with {@code forceEncode}: the sample that measures the encoding path. */
  static final int SAMPLE_CAPTIONS = 200;
  static final int SAMPLE_IMAGES = 50;

  /**
   * How the queries got their vectors: {@code encoded} by query-stream's encoders (the sample, and any query whose
   * content it did not find), or {@code reused}, the stored embedding of an item with the same content; and the
   * sample (sent first, on its own, with {@code forceEncode}): its captions, images, and rate of answers.
   */
  public record Encoding(int encoded, int reused, int sampleCaptions, int sampleImages, double sampleSeconds) {
    /** The sample's answers per second, end to end (encoding, search, and the Kafka round trip). */
    public double sampleQueriesPerSecond() {
      return sampleSeconds <= 0 ? 0 : (sampleCaptions + sampleImages) / sampleSeconds;
    }

    /** The report's line about it. */
    public String line() {
      return String.format("query encoding: %d encoded (among them the sample sent first with forceEncode, %d captions"
          + " and %d images, answered at %.1f queries/s), %d answered with the stored embedding of the same content",
          encoded, sampleCaptions, sampleImages, sampleQueriesPerSecond(), reused);
    }
  }

  /** What the demo measured. */
  public record Outcome(Recall.Result online, Recall.Result offline, MappingModel mapping, int queries,
                        double queriesPerSecond, double p50Ms, double p95Ms, double p99Ms, double serviceP50Ms,
                        double serviceP99Ms, double seconds, Encoding encoding, double encodeSeconds,
                        double refitSeconds) {
    /** The demo's last line. */
    public String line() {
      return String.format("T2I R@1 %.1f R@5 %.1f R@10 %.1f | I2T R@1 %.1f R@5 %.1f R@10 %.1f", online.t2iR1(),
          online.t2iR5(), online.t2iR10(), online.i2tR1(), online.i2tR5(), online.i2tR10());
    }
  }

  private final PlatformConfig config;
  private final TopicCatalogue topics;
  private final PrintStream out;

  public Demo(PlatformConfig config, TopicCatalogue topics, PrintStream out) {
    this.config = config;
    this.topics = topics;
    this.out = out;
  }

  public Outcome run(Dataset train, Dataset eval, int heldOutPercent, String mappingName, Duration timeout)
      throws InterruptedException {
    long t0 = System.nanoTime();
    out.printf("== 1/4 ingest: %s (%d images, %d captions) and %s (%d images, %d captions as free text)%n",
        train.name(), train.images().size(), train.captions().size(), eval.name(), eval.images().size(),
        eval.captions().size());
    DatasetPublisher publisher = new DatasetPublisher(config, topics);
    publisher.publish(train, out, true);
    publisher.publish(eval, out, false);

    out.println("== 2/4 encode: waiting for every image and caption embedding");
    Set<String> evaluated = ids(eval);
    Set<String> wanted = ids(train);
    wanted.addAll(evaluated);
    EmbeddingWait.Found embedded = EmbeddingWait.await(config, topics, wanted, evaluated, timeout, out);
    Map<String, float[]> vectors = embedded.vectors();
    if (embedded.count() < wanted.size()) {
      throw new IllegalStateException("only " + embedded.count() + " of " + wanted.size() + " embeddings after "
          + timeout + "; see the logs under " + config.workDir().resolve("logs"));
    }

    double encodeSeconds = (System.nanoTime() - t0) / 1e9;
    long pairs = train.trainingPairs(id -> HeldOut.isHeldOut(id, heldOutPercent));
    out.printf("== 3/4 train: waiting for a mapping version fitted on all %d training pairs%n", pairs);
    long r0 = System.nanoTime();
    MappingModel live = awaitMapping(mappingName, pairs, timeout);
    double refitSeconds = (System.nanoTime() - r0) / 1e9;
    CrossModalMap map = MappingCodec.fromAvro(live);
    out.printf("live: %s v%d, %s, fitted on %d pairs%s, held-out rsum %.1f%n", live.getName(), live.getVersion(),
        map.label(), live.getPairsUsed(), MappingCodec.fittedOnAllPairs(live) ? " (chosen and scored on "
            + MappingCodec.trainingPairs(live) + " training pairs, then fitted again with the held-out ones)" : "",
        live.getHeldOutMetrics().getOrDefault("rsum", Double.NaN));

    out.println("== 4/4 query: every evaluation caption (text→image) and image (image→text) through xmodal.queries");
    Map<String, List<String>> captionsOf = new HashMap<>();
    eval.captions().forEach(c -> captionsOf.computeIfAbsent(c.imageId(), k -> new ArrayList<>()).add(c.captionId()));
    Map<String, Query> sent = new HashMap<>();
    Map<String, QueryResult> results = new HashMap<>();
    long q0 = System.nanoTime();
    double sampleSeconds;
    try (QueryClient client = new QueryClient(config, topics)) {
      // first the sample, encoded (forceEncode), on its own: the rate of the real query path; then the rest at once
      sampleSeconds = send(client, queries(eval, captionsOf, mappingName, true), sent, results, timeout);
      send(client, queries(eval, captionsOf, mappingName, false), sent, results, timeout);
    }
    double querySeconds = (System.nanoTime() - q0) / 1e9;
    Recall.Result online = onlineRecall(sent, results);
    // sent→answered: the result's completedAt minus the query's sentAt (this JVM's clock and query-stream's: one
    // machine here); in service: the result's total, from its batch's start to its result (QueryResult.avsc)
    double[] latencies = results.entrySet().stream().mapToDouble(e -> Math.max(0,
        e.getValue().getCompletedAt().toEpochMilli() - sent.get(e.getKey()).getSentAt().toEpochMilli())).sorted()
        .toArray();
    double[] service = results.values().stream().mapToDouble(r -> r.getTotalMicros() / 1000.0).sorted().toArray();
    Recall.Result offline = offlineRecall(map, MappingCodec.references(live), eval, vectors);
    return new Outcome(online, offline, live, sent.size(), sent.size() / querySeconds, pct(latencies, 50),
        pct(latencies, 95), pct(latencies, 99), pct(service, 50), pct(service, 99), (System.nanoTime() - t0) / 1e9,
        encoding(sent, results, sampleSeconds), encodeSeconds, refitSeconds);
  }

  /** Sends a burst of queries and waits for their results (adding both to the maps); the seconds that took. */
  private double send(QueryClient client, Map<String, Query> burst, Map<String, Query> sent,
                      Map<String, QueryResult> results, Duration timeout) {
    long t0 = System.nanoTime();
    if (burst.isEmpty()) {
      return 0;
    }
    burst.values().forEach(client::send);
    client.flush();
    sent.putAll(burst);
    results.putAll(client.await(burst.keySet(), timeout, out));
    if (results.size() < sent.size()) {
      throw new IllegalStateException("only " + results.size() + " of " + sent.size() + " queries answered");
    }
    return (System.nanoTime() - t0) / 1e9;
  }

  /** Every image and caption id of {@code data}. */
  private static Set<String> ids(Dataset data) {
    Set<String> ids = new HashSet<>();
    data.images().forEach(i -> ids.add(i.imageId()));
    data.captions().forEach(c -> ids.add(c.captionId()));
    return ids;
  }

  /**
   * The sample's queries, with {@code forceEncode} ({@code sample} true), or all the others: every caption as a
   * text→image query and every image as an image→text query, with their expected ids. The sample is every n-th
   * caption ({@link #SAMPLE_CAPTIONS} of them at most) and image ({@link #SAMPLE_IMAGES}), so it spans the split.
   */
  static Map<String, Query> queries(Dataset eval, Map<String, List<String>> captionsOf, String mappingName,
                                    boolean sample) {
    Map<String, Query> out = new LinkedHashMap<>();
    List<Dataset.Caption> captions = eval.captions();
    for (int c = 0; c < captions.size(); c++) {
      if (inSample(c, captions.size(), SAMPLE_CAPTIONS) == sample) {
        Dataset.Caption caption = captions.get(c);
        Query q = base("t2i-" + caption.captionId(), mappingName, eval.name()).setModality(Modality.TEXT)
            .setText(caption.text()).setExpectedIds(List.of(caption.imageId())).setForceEncode(sample).build();
        out.put(q.getQueryId(), q);
      }
    }
    List<Dataset.Image> images = eval.images();
    for (int i = 0; i < images.size(); i++) {
      if (inSample(i, images.size(), SAMPLE_IMAGES) == sample) {
        Dataset.Image image = images.get(i);
        Query q = base("i2t-" + image.imageId(), mappingName, eval.name()).setModality(Modality.IMAGE)
            .setImageBytes(ByteBuffer.wrap(read(image)))
            .setExpectedIds(captionsOf.getOrDefault(image.imageId(), List.of())).setForceEncode(sample).build();
        out.put(q.getQueryId(), q);
      }
    }
    return out;
  }

  /** Whether item {@code i} of {@code n} is in a sample of at most {@code size} spread evenly over them. */
  static boolean inSample(int i, int n, int size) {
    int stride = Math.max(1, n / size);
    return i % stride == 0 && i / stride < size;
  }

  /** How the results say their vectors were got, with the sample's size and time. */
  static Encoding encoding(Map<String, Query> sent, Map<String, QueryResult> results, double sampleSeconds) {
    int encoded = 0;
    int reused = 0;
    for (QueryResult r : results.values()) {
      if (r.getReusedId() != null) {
        reused++;
      } else if (r.getError() == null) {
        encoded++;
      }
    }
    int sampleCaptions = 0;
    int sampleImages = 0;
    for (Query q : sent.values()) {
      if (q.getForceEncode()) {
        if (q.getModality() == Modality.TEXT) {
          sampleCaptions++;
        } else {
          sampleImages++;
        }
      }
    }
    return new Encoding(encoded, reused, sampleCaptions, sampleImages, sampleSeconds);
  }

  private static Query.Builder base(String id, String mapping, String gallery) {
    return Query.newBuilder().setQueryId(id).setK(10).setMappingName(mapping).setGallery(gallery)
        .setSentAt(Instant.now());
  }

  /** Follows xmodal.mappings until the newest version of {@code name} was chosen on {@code pairs} training pairs. */
  private MappingModel awaitMapping(String name, long pairs, Duration timeout) {
    return MappingHistory.await(config, topics, name, m -> MappingCodec.trainingPairs(m) >= pairs, timeout,
        Duration.ofSeconds(30),
        newest -> out.printf("  trainer: %s%n", newest == null
            ? "no version yet (it fits once every training pair is in)"
            : "v" + newest.getVersion() + " chosen on " + MappingCodec.trainingPairs(newest) + " training pairs; "
                + "waiting for " + pairs))
        .orElseThrow(() -> new IllegalStateException("no mapping fitted on " + pairs + " pairs within " + timeout));
  }

  /** Recall from the results: text→image hit if the caption's image is in the top K; image→text if any caption is. */
  static Recall.Result onlineRecall(Map<String, Query> sent, Map<String, QueryResult> results) {
    BiFunction<Modality, Integer, Double> recall = (modality, k) -> {
      int n = 0;
      int hits = 0;
      for (Map.Entry<String, Query> e : sent.entrySet()) {
        if (e.getValue().getModality() != modality) {
          continue;
        }
        n++;
        QueryResult r = results.get(e.getKey());
        List<String> top = r.getHits().subList(0, Math.min(k, r.getHits().size())).stream().map(h -> h.getId())
            .toList();
        if (top.stream().anyMatch(e.getValue().getExpectedIds()::contains)) {
          hits++;
        }
      }
      return n == 0 ? 0 : 100.0 * hits / n;
    };
    return new Recall.Result(recall.apply(Modality.TEXT, 1), recall.apply(Modality.TEXT, 5),
        recall.apply(Modality.TEXT, 10), recall.apply(Modality.IMAGE, 1), recall.apply(Modality.IMAGE, 5),
        recall.apply(Modality.IMAGE, 10));
  }

  /** The same mapping evaluated by the library on the same embeddings, for comparison with what was served. */
  static Recall.Result offlineRecall(CrossModalMap map, MappingCodec.References refs, Dataset eval,
                                     Map<String, float[]> vectors) {
    Map<String, Integer> index = new HashMap<>();
    float[][] images = new float[eval.images().size()][];
    for (int i = 0; i < images.length; i++) {
      index.put(eval.images().get(i).imageId(), i);
      images[i] = Vectors.l2(vectors.get(eval.images().get(i).imageId()));
    }
    float[][] captions = new float[eval.captions().size()][];
    int[] captionImage = new int[captions.length];
    for (int c = 0; c < captions.length; c++) {
      captions[c] = Vectors.l2(vectors.get(eval.captions().get(c).captionId()));
      captionImage[c] = index.get(eval.captions().get(c).imageId());
    }
    return Recall.evaluateMapped(map, Linalg.matrix(captions), captionImage, Linalg.matrix(images),
        refs.mappedText(map), refs.mappedImages(map));
  }

  private static double pct(double[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    int idx = (int) Math.ceil(p / 100 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, idx))];
  }

  private static byte[] read(Dataset.Image i) {
    try {
      return Files.readAllBytes(i.file());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Prints the report; before the last line the demo's cost, exactly {@code demo: wall W s encode E s refit R s
   * queries Q/s peak-rss M MB} (wall: the whole command; encode: from the first record sent to the last embedding;
   * refit: from then to the version fitted on every pair; peak-rss: the launcher's, the broker's and the registry's
   * high-water marks added, an upper bound of the process tree's peak), and last the recall line.
   */
  public static void print(PrintStream out, Outcome o, double wallSeconds, OptionalLong peakRssBytes) {
    out.println();
    out.printf("%-34s %6s %6s %6s | %6s %6s %6s | %6s%n", "recall on the evaluation split", "T2I@1", "@5", "@10",
        "I2T@1", "@5", "@10", "rsum");
    row(out, "online, through query-stream", o.online());
    row(out, "offline, same mapping, library", o.offline());
    out.printf("largest difference: %.2f points%n", maxDiff(o.online(), o.offline()));
    out.printf("queries: %d sent in two bursts (the encoded sample, then the rest at once), answered at %.1f "
        + "queries/s%n", o.queries(), o.queriesPerSecond());
    out.println(o.encoding().line());
    out.printf("latency sent→answered (includes waiting behind the burst): p50 %.0f ms, p95 %.0f ms, p99 %.0f ms%n",
        o.p50Ms(), o.p95Ms(), o.p99Ms());
    out.printf("latency in service (its batch's start to its result): p50 %.1f ms, p99 %.1f ms%n", o.serviceP50Ms(),
        o.serviceP99Ms());
    out.printf("mapping: %s v%d (%s %s), demo wall time %.0f s%n", o.mapping().getName(), o.mapping().getVersion(),
        o.mapping().getMethod(), o.mapping().getVariant(), o.seconds());
    out.printf("demo: wall %.0f s encode %.0f s refit %.0f s queries %.1f/s peak-rss %s MB%n", wallSeconds,
        o.encodeSeconds(), o.refitSeconds(), o.queriesPerSecond(),
        peakRssBytes.isPresent() ? Long.toString(peakRssBytes.getAsLong() >> 20) : "-");
    out.println(o.line());
  }

  private static void row(PrintStream out, String label, Recall.Result r) {
    out.printf("%-34s %6.1f %6.1f %6.1f | %6.1f %6.1f %6.1f | %6.1f%n", label, r.t2iR1(), r.t2iR5(), r.t2iR10(),
        r.i2tR1(), r.i2tR5(), r.i2tR10(), r.rsum());
  }

  static double maxDiff(Recall.Result a, Recall.Result b) {
    double[] x = {a.t2iR1(), a.t2iR5(), a.t2iR10(), a.i2tR1(), a.i2tR5(), a.i2tR10()};
    double[] y = {b.t2iR1(), b.t2iR5(), b.t2iR10(), b.i2tR1(), b.i2tR5(), b.i2tR10()};
    double max = 0;
    for (int i = 0; i < x.length; i++) {
      max = Math.max(max, Math.abs(x[i] - y[i]));
    }
    return max;
  }

}
