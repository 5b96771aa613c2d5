package io.xmodal.tools.demo;

import static org.assertj.core.api.Assertions.assertThat;

import io.xmodal.client.dataset.Dataset;
import io.xmodal.schemas.Hit;
import io.xmodal.schemas.Modality;
import io.xmodal.schemas.Query;
import io.xmodal.schemas.QueryResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoTest {

  @TempDir
  Path dir;

  /** A split of {@code images} images (a byte each) with five captions each, as the demo reads Flickr8k's. */
  Dataset split(int images) throws Exception {
    List<Dataset.Image> is = new ArrayList<>();
    List<Dataset.Caption> cs = new ArrayList<>();
    for (int i = 0; i < images; i++) {
      Path file = Files.write(dir.resolve("img" + i + ".jpg"), new byte[] {(byte) i});
      is.add(new Dataset.Image("img" + i, file));
      for (int c = 0; c < 5; c++) {
        cs.add(new Dataset.Caption("img" + i + "#" + c, "img" + i, "caption " + c + " of image " + i));
      }
    }
    return new Dataset("flickr8k:dev", is, cs);
  }

  @Test
  void shouldSendASampleOf200CaptionsAnd50ImagesSpreadOverTheSplitWithForceEncodeAndTheRestWithout()
      throws Exception {
    // Given Flickr8k's dev split in size: 1,000 images, 5,000 captions
    Dataset dev = split(1000);
    Map<String, List<String>> captionsOf = new HashMap<>();
    dev.captions().forEach(c -> captionsOf.computeIfAbsent(c.imageId(), k -> new ArrayList<>()).add(c.captionId()));

    // When the demo makes its two bursts
    Map<String, Query> sample = Demo.queries(dev, captionsOf, "default", true);
    Map<String, Query> rest = Demo.queries(dev, captionsOf, "default", false);

    // Then the sample is 200 captions and 50 images, every 25th and 20th, all with forceEncode; the rest the others,
    // without; every caption and image once
    assertThat(sample.values()).filteredOn(q -> q.getModality() == Modality.TEXT).hasSize(200)
        .extracting(Query::getQueryId).contains("t2i-img0#0", "t2i-img5#0", "t2i-img995#0");
    assertThat(sample.values()).filteredOn(q -> q.getModality() == Modality.IMAGE).hasSize(50)
        .extracting(Query::getQueryId).contains("i2t-img0", "i2t-img20", "i2t-img980");
    assertThat(sample.values()).allSatisfy(q -> assertThat(q.getForceEncode()).isTrue());
    assertThat(rest).hasSize(6000 - 250);
    assertThat(rest.values()).allSatisfy(q -> assertThat(q.getForceEncode()).isFalse());
    assertThat(rest.keySet()).doesNotContainAnyElementsOf(sample.keySet());
    assertThat(rest.get("i2t-img7").getExpectedIds()).hasSize(5);
    assertThat(rest.get("t2i-img7#3").getText()).isEqualTo("caption 3 of image 7");
  }

  @Test
  void shouldSampleEverythingFromASplitSmallerThanTheSample() {
    assertThat(IntStream.range(0, 30).filter(i -> Demo.inSample(i, 30, Demo.SAMPLE_IMAGES))).hasSize(30);
    assertThat(IntStream.range(0, 5003).filter(i -> Demo.inSample(i, 5003, Demo.SAMPLE_CAPTIONS))).hasSize(200);
  }

  @Test
  void shouldCountEncodedAndReusedQueriesFromTheResults() {
    // Given a sample of two captions and an image, all encoded, and three other queries, two answered with a stored
    // embedding and one that was not found (encoded), and one failed
    Map<String, Query> sent = new HashMap<>();
    Map<String, QueryResult> results = new HashMap<>();
    String[][] cases = {{"a", "TEXT", "true", null}, {"b", "TEXT", "true", null}, {"c", "IMAGE", "true", null},
        {"d", "TEXT", "false", "cap-d"}, {"e", "IMAGE", "false", "img-e"}, {"f", "TEXT", "false", null}};
    for (String[] c : cases) {
      sent.put(c[0], Query.newBuilder().setQueryId(c[0]).setModality(Modality.valueOf(c[1]))
          .setForceEncode(Boolean.parseBoolean(c[2])).setSentAt(Instant.EPOCH).build());
      results.put(c[0], result(c[0], c[3], null));
    }
    sent.put("g", Query.newBuilder().setQueryId("g").setModality(Modality.TEXT).setSentAt(Instant.EPOCH).build());
    results.put("g", result("g", null, "no mapping"));

    // When the demo counts them
    Demo.Encoding e = Demo.encoding(sent, results, 1.5);

    // Then
    assertThat(e).isEqualTo(new Demo.Encoding(4, 2, 2, 1, 1.5));
    assertThat(e.sampleQueriesPerSecond()).isEqualTo(2.0);
    assertThat(e.line()).isEqualTo("query encoding: 4 encoded (among them the sample sent first with forceEncode, "
        + "2 captions and 1 images, answered at 2.0 queries/s), 2 answered with the stored embedding of the same "
        + "content");
  }

  private static QueryResult result(String id, String reusedId, String error) {
    return QueryResult.newBuilder().setQueryId(id).setHits(List.<Hit>of()).setMappingName("default")
        .setEncodeMicros(0).setSearchMicros(0).setTotalMicros(0).setCompletedAt(Instant.EPOCH).setReusedId(reusedId)
        .setError(error).build();
  }
}
