package io.xmodal.schemas;

/**
 * Which vectors can be compared: the same model file (checksum) run the same way (name, which marks variants such as
 * flip averaging). Every place that matches embeddings with a mapping or with each other compares these keys.
 */
public final class EncoderKeys {

  private EncoderKeys() {}

  public static String of(EncoderIdentity e) {
    return of(e.getName(), e.getChecksum());
  }

  public static String of(String name, String checksum) {
    return name + "@" + checksum;
  }
}
