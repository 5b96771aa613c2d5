package io.xmodal.client.publish;

import io.xmodal.client.dataset.Dataset;
import io.xmodal.platform.config.PlatformConfig;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.schemas.CaptionEvent;
import io.xmodal.schemas.ImageEvent;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Publishes a dataset as a producer would: each image to {@code xmodal.images.raw} keyed by imageId, then its
 * captions to {@code xmodal.captions.raw} keyed by captionId. Idempotent producers, acks=all.
 */
public final class DatasetPublisher {

  private final PlatformConfig config;
  private final TopicCatalogue topics;

  public DatasetPublisher(PlatformConfig config, TopicCatalogue topics) {
    this.config = config;
    this.topics = topics;
  }

  /** What was sent. */
  public record Report(int images, int captions, long imageBytes, double seconds) {
    public int records() {
      return images + captions;
    }
  }

  public Report publish(Dataset dataset, PrintStream progressOut) {
    return publish(dataset, progressOut, true);
  }

  /**
   * @param pairCaptions false publishes every caption as free text (imageId null): searchable, but never paired with
   *                     its image by the trainer (how the demo keeps the split it evaluates on out of training)
   */
  public Report publish(Dataset dataset, PrintStream progressOut, boolean pairCaptions) {
    return publish(dataset, progressOut, pairCaptions, 0);
  }

  /**
   * @param imagesPerSecond at most this many images (each with its captions) per second; 0 publishes as fast as the
   *                        producer goes (a chaos run paces its input so that its kills land while data flows)
   */
  public Report publish(Dataset dataset, PrintStream progressOut, boolean pairCaptions, double imagesPerSecond) {
    Map<String, Object> props = new HashMap<>(config.producerConfig());
    props.put(ProducerConfig.ACKS_CONFIG, "all");
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.LINGER_MS_CONFIG, 10);
    props.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    props.put(ProducerConfig.CLIENT_ID_CONFIG, "xmodal-publisher");
    Progress progress = new Progress("publish " + dataset.name(), dataset.size(), progressOut);
    AtomicReference<Exception> failure = new AtomicReference<>();
    long bytes = 0;
    Instant now = Instant.now();
    Map<String, List<Dataset.Caption>> byImage = new HashMap<>();
    dataset.captions().forEach(c -> byImage.computeIfAbsent(c.imageId(), k -> new ArrayList<>()).add(c));
    try (KafkaProducer<String, ImageEvent> images = new KafkaProducer<>(props, new StringSerializer(),
             topics.imagesRaw().valueSerde().serializer());
         KafkaProducer<String, CaptionEvent> captions = new KafkaProducer<>(props, new StringSerializer(),
             topics.captionsRaw().valueSerde().serializer())) {
      Future<RecordMetadata> last = null;
      long start = System.nanoTime();
      int sentImages = 0;
      for (Dataset.Image image : dataset.images()) {
        if (imagesPerSecond > 0) {
          pace(start, sentImages++, imagesPerSecond);
        }
        byte[] content = read(image);
        bytes += content.length;
        ImageEvent event = ImageEvent.newBuilder().setImageId(image.imageId()).setBytes(ByteBuffer.wrap(content))
            .setSource(dataset.name()).setProducedAt(now).build();
        last = images.send(new ProducerRecord<>(topics.imagesRaw().name(), image.imageId(), event),
            (md, e) -> done(progress, failure, e));
        for (Dataset.Caption c : byImage.getOrDefault(image.imageId(), List.of())) {
          CaptionEvent caption = CaptionEvent.newBuilder().setCaptionId(c.captionId())
              .setImageId(pairCaptions ? c.imageId() : null)
              .setText(c.text()).setSource(dataset.name()).setProducedAt(now).build();
          captions.send(new ProducerRecord<>(topics.captionsRaw().name(), c.captionId(), caption),
              (md, e) -> done(progress, failure, e));
        }
        if (failure.get() != null) {
          break;
        }
      }
      images.flush();
      captions.flush();
    }
    if (failure.get() != null) {
      throw new IllegalStateException("publishing failed: " + failure.get().getMessage(), failure.get());
    }
    progress.finish();
    return new Report(dataset.images().size(), dataset.captions().size(), bytes, progress.seconds());
  }

  /** Sleeps until the {@code index}-th item is due at {@code perSecond} items per second from {@code start}. */
  public static void pace(long start, int index, double perSecond) {
    long due = start + (long) (index / perSecond * 1e9);
    long wait = due - System.nanoTime();
    if (wait > 0) {
      try {
        TimeUnit.NANOSECONDS.sleep(wait);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while publishing", e);
      }
    }
  }

  private static void done(Progress progress, AtomicReference<Exception> failure, Exception e) {
    if (e != null) {
      failure.compareAndSet(null, e);
    } else {
      progress.advance(1);
    }
  }

  private static byte[] read(Dataset.Image image) {
    try {
      return Files.readAllBytes(image.file());
    } catch (IOException e) {
      throw new IllegalStateException("cannot read " + image.file() + ": " + e.getMessage(), e);
    }
  }
}
