package io.xmodal.encoders.image;

/** Reads the EXIF orientation tag (0x0112) from a JPEG's APP1 segment; 1 (upright) when absent or unreadable. */
final class ExifOrientation {

  private ExifOrientation() {}

  static int of(byte[] b) {
    try {
      if (b.length < 4 || (b[0] & 0xFF) != 0xFF || (b[1] & 0xFF) != 0xD8) {
        return 1;
      }
      int i = 2;
      while (i + 4 <= b.length) {
        if ((b[i] & 0xFF) != 0xFF) {
          return 1;
        }
        int marker = b[i + 1] & 0xFF;
        if (marker == 0xDA || marker == 0xD9) {
          return 1;
        }
        int length = ((b[i + 2] & 0xFF) << 8) | (b[i + 3] & 0xFF);
        if (marker == 0xE1 && length >= 16 && b[i + 4] == 'E' && b[i + 5] == 'x' && b[i + 6] == 'i'
            && b[i + 7] == 'f') {
          return fromTiff(b, i + 10, i + 2 + length);
        }
        i += 2 + length;
      }
    } catch (ArrayIndexOutOfBoundsException e) {
      return 1;
    }
    return 1;
  }

  private static int fromTiff(byte[] b, int tiff, int end) {
    boolean little = b[tiff] == 'I';
    int ifd = tiff + int32(b, tiff + 4, little);
    int entries = int16(b, ifd, little);
    for (int e = 0; e < entries; e++) {
      int entry = ifd + 2 + 12 * e;
      if (entry + 12 > end) {
        return 1;
      }
      if (int16(b, entry, little) == 0x0112) {
        int value = int16(b, entry + 8, little);
        return value >= 1 && value <= 8 ? value : 1;
      }
    }
    return 1;
  }

  private static int int16(byte[] b, int at, boolean little) {
    return little ? (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8 : (b[at] & 0xFF) << 8 | (b[at + 1] & 0xFF);
  }

  private static int int32(byte[] b, int at, boolean little) {
    return little
        ? (b[at] & 0xFF) | (b[at + 1] & 0xFF) << 8 | (b[at + 2] & 0xFF) << 16 | (b[at + 3] & 0xFF) << 24
        : (b[at] & 0xFF) << 24 | (b[at + 1] & 0xFF) << 16 | (b[at + 2] & 0xFF) << 8 | (b[at + 3] & 0xFF);
  }
}
