package io.xmodal.ingest;

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
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;

/** Real and deliberately broken images for the ingest tests. */
public final class IngestTestImages {

  private IngestTestImages() {}

  public static Path sharedDir() {
    return Path.of(System.getProperty("xmodal.shared.dir", "../../shared"));
  }

  public static Path flickr8k() {
    return sharedDir().resolve("datasets").resolve("flickr8k");
  }

  /** Names of the Flickr8k dev images, in split-file order. */
  public static List<String> devImageNames() {
    try {
      return Files.readAllLines(flickr8k().resolve("Flickr_8k.devImages.txt")).stream()
          .map(String::trim).filter(s -> !s.isEmpty()).toList();
    } catch (IOException e) {
      throw new UncheckedIOException("the Flickr8k dataset is expected under " + flickr8k(), e);
    }
  }

  /** A real JPEG from the Flickr8k dev split. */
  public static byte[] realJpeg(int index) {
    try {
      return Files.readAllBytes(flickr8k().resolve("images").resolve(devImageNames().get(index)));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static byte[] png(int width, int height) {
    return encode(drawing(width, height), "png");
  }

  public static byte[] gif(int width, int height) {
    return encode(drawing(width, height), "gif");
  }

  public static byte[] bmp(int width, int height) {
    return encode(drawing(width, height), "bmp");
  }

  /** The first {@code fraction} of the bytes: a header that parses, pixel data that ends early. */
  public static byte[] truncated(byte[] image, double fraction) {
    return Arrays.copyOf(image, (int) (image.length * fraction));
  }

  /** Deterministic bytes that are no image at all. */
  public static byte[] noise(int length) {
    byte[] b = new byte[length];
    long x = 0x9E3779B97F4A7C15L;
    for (int i = 0; i < length; i++) {
      x ^= x << 13;
      x ^= x >>> 7;
      x ^= x << 17;
      b[i] = (byte) x;
    }
    return b;
  }

  /**
   * A tiny PNG whose header claims {@code width × height} pixels: a decompression bomb's shape. Decoding it would
   * allocate gigabytes; ingest must refuse it from the header alone.
   */
  public static byte[] pngClaiming(int width, int height) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {(byte) 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A});
    ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(width).putInt(height)
        .put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
    chunk(out, "IHDR", ihdr.array());
    chunk(out, "IDAT", new byte[] {0x78, (byte) 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01});
    chunk(out, "IEND", new byte[0]);
    return out.toByteArray();
  }

  private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
    byte[] typeBytes = type.getBytes(StandardCharsets.US_ASCII);
    out.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
    out.writeBytes(typeBytes);
    out.writeBytes(data);
    CRC32 crc = new CRC32();
    crc.update(typeBytes);
    crc.update(data);
    out.writeBytes(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
  }

  private static BufferedImage drawing(int width, int height) {
    BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = image.createGraphics();
    g.setColor(Color.ORANGE);
    g.fillRect(0, 0, width, height);
    g.setColor(Color.BLUE);
    g.fillOval(width / 4, height / 4, width / 2, height / 2);
    g.dispose();
    return image;
  }

  private static byte[] encode(BufferedImage image, String format) {
    try {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      if (!ImageIO.write(image, format, out)) {
        throw new IllegalStateException("no writer for " + format);
      }
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
