package io.xmodal.app.cli;

import java.util.HashMap;
import java.util.Map;

/**
 * The single encoders (all-MiniLM-L6-v2, flip-averaged MobileNetV2) for the end-to-end tests whose assertions do not
 * depend on the encoders (delivery, kills, hostile input, security, sharding, served = library): the composite
 * default loads four models per service and encodes several times slower on 2 cores. The composite default itself
 * runs end to end in {@link EncodeEndToEndIT}.
 */
final class SingleEncoders {

  static final Map<String, String> SETTINGS = Map.of(
      "XMODAL_TEXT_MODEL", "minilm_l6_v2",
      "XMODAL_IMAGE_ENCODER", "mobilenetv2:flip");

  private SingleEncoders() {}

  /** {@code settings} with the single encoders added. */
  static Map<String, String> with(Map<String, String> settings) {
    Map<String, String> out = new HashMap<>(settings);
    out.putAll(SETTINGS);
    return out;
  }
}
