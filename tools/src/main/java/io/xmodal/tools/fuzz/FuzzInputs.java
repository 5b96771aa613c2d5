package io.xmodal.tools.fuzz;

import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.schemas.CaptionEvent;
import io.xmodal.schemas.ImageEvent;
import io.xmodal.schemas.Modality;
import io.xmodal.schemas.Query;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;

/**
 * A seeded mix of valid and hostile inputs: the same seed gives the same records (ids, kinds, bytes), so a failing
 * run can be repeated. Valid images are real JPEGs when a folder of them is given, drawn PNGs otherwise.
 */
public final class FuzzInputs {

  /** One record to publish; {@code value} null is a tombstone. */
  public record Input(int index, FuzzKind kind, String topic, String key, byte[] value) {}

  private record Live(String key, byte[] value) {}

  private final TopicCatalogue topics;
  private final Random random;
  private final long seed;
  private final List<byte[]> jpegs;
  private final Path uriRoot;
  private final Path outsideFile;
  private final long maxImageBytes;
  private final List<Live> liveImages = new ArrayList<>();
  private final List<Live> liveCaptions = new ArrayList<>();
  private final Instant now = Instant.now();

  /**
   * @param jpegs         real images to use as valid ones (may be empty)
   * @param uriRoot       the folder ingest may read ({@code XMODAL_INGEST_URI_ROOT}); files and links are made in it
   * @param outsideFile   an existing file outside the root, for links that try to escape it
   * @param maxImageBytes ingest's byte limit, so an oversized image is just over it
   */
  public FuzzInputs(TopicCatalogue topics, long seed, List<byte[]> jpegs, Path uriRoot, Path outsideFile,
                    long maxImageBytes) {
    this.topics = topics;
    this.seed = seed;
    this.random = new Random(seed);
    this.jpegs = List.copyOf(jpegs);
    this.uriRoot = uriRoot;
    this.outsideFile = outsideFile;
    this.maxImageBytes = maxImageBytes;
  }

  /** {@code n} inputs; every kind appears at least once when {@code n} ≥ the number of kinds. */
  public List<Input> generate(int n) {
    FuzzKind[] kinds = FuzzKind.values();
    int total = Arrays.stream(kinds).mapToInt(FuzzKind::weight).sum();
    List<Input> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      FuzzKind kind;
      if (i < kinds.length && n >= kinds.length) {
        kind = kinds[i];
      } else {
        int pick = random.nextInt(total);
        int k = 0;
        while (pick >= kinds[k].weight()) {
          pick -= kinds[k].weight();
          k++;
        }
        kind = kinds[k];
      }
      out.add(make(i, kind));
    }
    return out;
  }

  private Input make(int i, FuzzKind kind) {
    String id = "fz" + seed + "-" + i;
    return switch (kind) {
      case VALID_IMAGE -> validImage(i, id);
      case VALID_CAPTION -> validCaption(i, id);
      case VALID_URI_IMAGE -> {
        Path file = write(id + ".jpg", validImageBytes());
        ImageEvent e = ImageEvent.newBuilder(image(id, null)).setUri(file.toUri().toString()).build();
        yield input(i, kind, topics.imagesRaw().name(), id, image(e));
      }
      case DUPLICATE_IMAGE -> liveImages.isEmpty() ? validImage(i, id) : resend(i, kind, topics.imagesRaw().name(),
          liveImages);
      case DUPLICATE_CAPTION -> liveCaptions.isEmpty() ? validCaption(i, id)
          : resend(i, kind, topics.captionsRaw().name(), liveCaptions);
      case TOMBSTONE_IMAGE -> liveImages.isEmpty() ? validImage(i, id)
          : input(i, kind, topics.imagesRaw().name(), liveImages.remove(random.nextInt(liveImages.size())).key(), null);
      case TOMBSTONE_CAPTION -> liveCaptions.isEmpty() ? validCaption(i, id) : input(i, kind,
          topics.captionsRaw().name(), liveCaptions.remove(random.nextInt(liveCaptions.size())).key(), null);
      case KEYLESS_TOMBSTONE -> input(i, kind, topics.captionsRaw().name(), null, null);
      case TRUNCATED_JPEG -> {
        byte[] jpeg = validImageBytes();
        yield badImage(i, kind, id, Arrays.copyOf(jpeg, jpeg.length * (30 + random.nextInt(40)) / 100));
      }
      case NOT_AN_IMAGE -> badImage(i, kind, id, noise(64 + random.nextInt(2000)));
      case GIF -> badImage(i, kind, id, encode(drawing(16 + random.nextInt(32), 16), "gif"));
      case DECOMPRESSION_BOMB -> badImage(i, kind, id, HostileBytes.pngClaiming(50_000 + random.nextInt(50_000), 60_000));
      case OVERSIZED_IMAGE -> {
        byte[] big = new byte[(int) Math.min(Integer.MAX_VALUE - 16, maxImageBytes + 1 + random.nextInt(1000))];
        byte[] jpeg = validImageBytes();
        System.arraycopy(jpeg, 0, big, 0, Math.min(jpeg.length, big.length));
        yield badImage(i, kind, id, big);
      }
      case EMPTY_IMAGE -> badImage(i, kind, id, new byte[0]);
      case INVALID_UTF8 -> {
        byte[] valid = caption(caption(id, "MARKERMARKER"));
        byte[] broken = HostileBytes.replace(valid, "MARKERMARKER".getBytes(StandardCharsets.US_ASCII),
            new byte[] {'c', 'a', 'f', (byte) 0xC3, 0x28, (byte) 0xFF, (byte) 0xFE, 'x', 'y', 'z', 'w', 'v'});
        yield input(i, kind, topics.captionsRaw().name(), id, broken);
      }
      case HUGE_CAPTION -> input(i, kind, topics.captionsRaw().name(), id,
          caption(caption(id, "a dog runs ".repeat(500 + random.nextInt(5000)))));
      case BLANK_CAPTION -> input(i, kind, topics.captionsRaw().name(), id,
          caption(caption(id, random.nextBoolean() ? "" : " \t\n ")));
      case BLANK_ID -> input(i, kind, topics.imagesRaw().name(), id, image(image(" ", validImageBytes())));
      case KEY_MISMATCH -> input(i, kind, topics.captionsRaw().name(), id,
          caption(caption(id + "-other", "a caption under the wrong key")));
      case POISON_PILL -> input(i, kind, topics.imagesRaw().name(), id,
          ("{\"not\":\"avro\",\"n\":" + i + "}").getBytes(StandardCharsets.UTF_8));
      case TRUNCATED_AVRO -> {
        byte[] valid = caption(caption(id, "a caption whose record is cut short"));
        yield input(i, kind, topics.captionsRaw().name(), id, Arrays.copyOf(valid, 5 + random.nextInt(6)));
      }
      case FOREIGN_SCHEMA_ID -> input(i, kind, topics.captionsRaw().name(), id,
          ByteBuffer.allocate(13).put((byte) 0).putInt(900_000 + random.nextInt(90_000)).putLong(i).array());
      case WRONG_TYPE_ON_IMAGES -> input(i, kind, topics.imagesRaw().name(), id,
          caption(caption(id, "a caption on the image topic")));
      case WRONG_TYPE_ON_CAPTIONS -> input(i, kind, topics.captionsRaw().name(), id,
          image(image(id, validImageBytes())));
      case WRONG_TYPE_ON_QUERIES -> input(i, kind, topics.queries().name(), id,
          caption(caption(id, "a caption on the query topic")));
      case WRONG_TYPE_ON_EMBEDDINGS -> input(i, kind, topics.textEmbeddings().name(), id,
          topics.queries().valueSerde().serializer().serialize(topics.queries().name(), Query.newBuilder()
              .setQueryId(id).setModality(Modality.TEXT).setText("a query on the embeddings topic").setSentAt(now)
              .build()));
      case URI_OUTSIDE_ROOT -> input(i, kind, topics.imagesRaw().name(), id, image(ImageEvent.newBuilder(
          image(id, null)).setUri(outsideFile.toUri().toString()).build()));
      case URI_THROUGH_LINK -> {
        Path link = uriRoot.resolve(id + "-link.jpg");
        try {
          Files.createSymbolicLink(link, outsideFile);
        } catch (IOException e) {
          throw new UncheckedIOException("cannot make the link " + link, e);
        }
        yield input(i, kind, topics.imagesRaw().name(), id, image(ImageEvent.newBuilder(image(id, null))
            .setUri(link.toUri().toString()).build()));
      }
    };
  }

  private Input validImage(int i, String id) {
    byte[] value = image(image(id, validImageBytes()));
    liveImages.add(new Live(id, value));
    return input(i, FuzzKind.VALID_IMAGE, topics.imagesRaw().name(), id, value);
  }

  private Input validCaption(int i, String id) {
    String imageId = liveImages.isEmpty() ? null : liveImages.get(random.nextInt(liveImages.size())).key();
    CaptionEvent c = CaptionEvent.newBuilder(caption(id, "a dog number " + random.nextInt(1000) + " runs on "
        + (random.nextBoolean() ? "grass" : "snow") + " .")).setImageId(imageId).build();
    byte[] value = caption(c);
    liveCaptions.add(new Live(id, value));
    return input(i, FuzzKind.VALID_CAPTION, topics.captionsRaw().name(), id, value);
  }

  private Input resend(int i, FuzzKind kind, String topic, List<Live> live) {
    Live item = live.get(random.nextInt(live.size()));
    return input(i, kind, topic, item.key(), item.value());
  }

  private Input badImage(int i, FuzzKind kind, String id, byte[] bytes) {
    return input(i, kind, topics.imagesRaw().name(), id, image(image(id, bytes)));
  }

  private static Input input(int i, FuzzKind kind, String topic, String key, byte[] value) {
    return new Input(i, kind, topic, key, value);
  }

  private byte[] validImageBytes() {
    if (!jpegs.isEmpty()) {
      return jpegs.get(random.nextInt(jpegs.size()));
    }
    return encode(drawing(32 + random.nextInt(64), 32 + random.nextInt(64)), "png");
  }

  private ImageEvent image(String id, byte[] bytes) {
    return ImageEvent.newBuilder().setImageId(id).setBytes(bytes == null ? null : ByteBuffer.wrap(bytes))
        .setSource("fuzz").setProducedAt(now).build();
  }

  private CaptionEvent caption(String id, String text) {
    return CaptionEvent.newBuilder().setCaptionId(id).setText(text).setSource("fuzz").setProducedAt(now).build();
  }

  private byte[] image(ImageEvent e) {
    return topics.imagesRaw().valueSerde().serializer().serialize(topics.imagesRaw().name(), e);
  }

  private byte[] caption(CaptionEvent c) {
    return topics.captionsRaw().valueSerde().serializer().serialize(topics.captionsRaw().name(), c);
  }

  private Path write(String name, byte[] bytes) {
    try {
      return Files.write(uriRoot.resolve(name), bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private byte[] noise(int length) {
    byte[] b = new byte[length];
    random.nextBytes(b);
    b[0] = 'N'; // never a JPEG, PNG or GIF signature
    return b;
  }

  private BufferedImage drawing(int width, int height) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setColor(new Color(random.nextInt(0xFFFFFF)));
    g.fillRect(0, 0, width, height);
    g.setColor(new Color(random.nextInt(0xFFFFFF)));
    g.fillOval(width / 4, height / 4, width / 2, height / 2);
    g.dispose();
    return image;
  }

  private static byte[] encode(BufferedImage image, String format) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ImageIO.write(image, format, out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
