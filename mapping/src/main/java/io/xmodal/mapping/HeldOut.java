package io.xmodal.mapping;

import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;

/** The deterministic held-out rule: an image (and every caption of it) is held out iff CRC32(imageId) mod 100 < p. */
public final class HeldOut {

  private HeldOut() {}

  public static boolean isHeldOut(String imageId, int percent) {
    CRC32 crc = new CRC32();
    crc.update(imageId.getBytes(StandardCharsets.UTF_8));
    return crc.getValue() % 100 < percent;
  }
}
