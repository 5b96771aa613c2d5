package io.xmodal.ingest;

import io.xmodal.schemas.RejectReason;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import javax.imageio.ImageIO;
import javax.imageio.ImageReadParam;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Checks that bytes are a whole, decodable JPEG or PNG of a bounded size. Dimensions come from the header before
 * any pixel is decoded; the full decode runs subsampled so memory stays bounded, and every decoder warning
 * (truncated data, corrupt segments) counts as a failure.
 */
final class ImageInspector {

  /** Decode at most this many pixels when checking integrity (subsampling reads the whole stream anyway). */
  private static final long CHECK_PIXELS = 4_000_000L;

  private ImageInspector() {}

  sealed interface Result {}

  record Ok(ImageFormat format, int width, int height) implements Result {}

  record Bad(RejectReason reason, String message) implements Result {}

  /**
   * @param echo whether a message may quote the first bytes: true for bytes the producer sent, false for a file
   *             read through a URI (its contents must never travel into a dead letter's message)
   */
  static Result inspect(byte[] bytes, long maxPixels, boolean echo) {
    ImageFormat format = ImageFormat.sniff(bytes);
    if (format == ImageFormat.UNKNOWN) {
      return new Bad(RejectReason.UNSUPPORTED_FORMAT, "the bytes are not an image in a supported format "
          + (echo ? "(first bytes " + hex(bytes, 8) + ")" : "(the file's contents are not shown)")
          + "; send JPEG or PNG");
    }
    if (!format.supported()) {
      return new Bad(RejectReason.UNSUPPORTED_FORMAT, format + " images are not supported; convert to JPEG or PNG");
    }
    Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName(format.readerName());
    if (!readers.hasNext()) {
      throw new IllegalStateException("no ImageIO reader for " + format);
    }
    ImageReader reader = readers.next();
    try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
      reader.setInput(in, true, true);
      int width;
      int height;
      try {
        width = reader.getWidth(0);
        height = reader.getHeight(0);
      } catch (IOException | RuntimeException e) {
        return new Bad(RejectReason.CORRUPT_IMAGE, format + " header cannot be read: " + e.getMessage());
      }
      long pixels = (long) width * height;
      if (width <= 0 || height <= 0) {
        return new Bad(RejectReason.CORRUPT_IMAGE, format + " header declares " + width + "x" + height + " pixels");
      }
      if (pixels > maxPixels) {
        return new Bad(RejectReason.TOO_MANY_PIXELS, format + " of " + width + "x" + height + " = " + pixels
            + " pixels exceeds the limit of " + maxPixels + " (XMODAL_INGEST_MAX_PIXELS); downscale it first");
      }
      List<String> warnings = new ArrayList<>();
      reader.addIIOReadWarningListener((source, warning) -> warnings.add(warning));
      ImageReadParam param = reader.getDefaultReadParam();
      int step = (int) Math.ceil(Math.sqrt((double) pixels / CHECK_PIXELS));
      if (step > 1) {
        param.setSourceSubsampling(step, step, 0, 0);
      }
      try {
        BufferedImage image = reader.read(0, param);
        if (image == null) {
          return new Bad(RejectReason.CORRUPT_IMAGE, format + " decoded to nothing");
        }
      } catch (IOException | RuntimeException e) {
        return new Bad(RejectReason.CORRUPT_IMAGE, format + " cannot be decoded: " + e.getMessage());
      }
      if (!warnings.isEmpty()) {
        return new Bad(RejectReason.CORRUPT_IMAGE, format + " is damaged: " + String.join("; ", warnings));
      }
      return new Ok(format, width, height);
    } catch (IOException e) {
      return new Bad(RejectReason.CORRUPT_IMAGE, format + " cannot be read: " + e.getMessage());
    } finally {
      reader.dispose();
    }
  }

  private static String hex(byte[] b, int n) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < Math.min(n, b.length); i++) {
      sb.append(String.format("%02x", b[i]));
    }
    return sb.toString();
  }
}
