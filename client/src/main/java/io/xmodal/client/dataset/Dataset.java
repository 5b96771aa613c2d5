package io.xmodal.client.dataset;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Predicate;

/**
 * Images and their captions, read from disk, in publishing order (each image followed by its captions).
 *
 * @param name     what it is, e.g. {@code flickr8k:dev}; becomes the events' source
 * @param images   the image files
 * @param captions the captions, each naming its image
 */
public record Dataset(String name, List<Image> images, List<Caption> captions) {

  public Dataset {
    images = List.copyOf(images);
    captions = List.copyOf(captions);
  }

  public record Image(String imageId, Path file) {}

  public record Caption(String captionId, String imageId, String text) {}

  public int size() {
    return images.size() + captions.size();
  }

  /**
   * The pairs a trainer fits on: captions of images it does not hold out (the trainer's rule, such as {@code id ->
   * HeldOut.isHeldOut(id, percent)}).
   */
  public long trainingPairs(Predicate<String> heldOutImage) {
    return captions.stream().filter(c -> !heldOutImage.test(c.imageId())).count();
  }
}
