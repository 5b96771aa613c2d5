package io.xmodal.ingest;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/** Image formats recognised from their first bytes (magic numbers), supported or not. */
public enum ImageFormat {
  JPEG("image/jpeg", "jpeg", true),
  PNG("image/png", "png", true),
  GIF("image/gif", "gif", false),
  BMP("image/bmp", "bmp", false),
  WEBP("image/webp", "webp", false),
  TIFF("image/tiff", "tiff", false),
  HEIF("image/heif", "heif", false),
  UNKNOWN("application/octet-stream", "", false);

  private final String contentType;
  private final String readerName;
  private final boolean supported;

  ImageFormat(String contentType, String readerName, boolean supported) {
    this.contentType = contentType;
    this.readerName = readerName;
    this.supported = supported;
  }

  public String contentType() {
    return contentType;
  }

  String readerName() {
    return readerName;
  }

  public boolean supported() {
    return supported;
  }

  /** The format the bytes announce; {@link #UNKNOWN} if none. */
  public static ImageFormat sniff(byte[] b) {
    if (startsWith(b, 0xFF, 0xD8, 0xFF)) {
      return JPEG;
    }
    if (startsWith(b, 0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A)) {
      return PNG;
    }
    if (startsWith(b, 'G', 'I', 'F', '8')) {
      return GIF;
    }
    if (startsWith(b, 'B', 'M')) {
      return BMP;
    }
    if (b.length >= 12 && startsWith(b, 'R', 'I', 'F', 'F')
        && "WEBP".equals(new String(Arrays.copyOfRange(b, 8, 12), StandardCharsets.US_ASCII))) {
      return WEBP;
    }
    if (startsWith(b, 'I', 'I', 0x2A, 0x00) || startsWith(b, 'M', 'M', 0x00, 0x2A)) {
      return TIFF;
    }
    if (b.length >= 12 && "ftyp".equals(new String(Arrays.copyOfRange(b, 4, 8), StandardCharsets.US_ASCII))) {
      return HEIF;
    }
    return UNKNOWN;
  }

  private static boolean startsWith(byte[] b, int... magic) {
    if (b.length < magic.length) {
      return false;
    }
    for (int i = 0; i < magic.length; i++) {
      if ((b[i] & 0xFF) != magic[i]) {
        return false;
      }
    }
    return true;
  }
}
