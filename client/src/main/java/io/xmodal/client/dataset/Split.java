package io.xmodal.client.dataset;

import java.util.Locale;

/** The Flickr8k splits, by the split file that lists their images. */
public enum Split {
  TRAIN("Flickr_8k.trainImages.txt"),
  DEV("Flickr_8k.devImages.txt"),
  TEST("Flickr_8k.testImages.txt"),
  /** Every split whose file is present. */
  ALL("");

  private final String fileName;

  Split(String fileName) {
    this.fileName = fileName;
  }

  public String fileName() {
    return fileName;
  }

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }
}
