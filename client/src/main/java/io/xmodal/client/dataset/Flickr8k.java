package io.xmodal.client.dataset;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Reads a folder in the Flickr8k layout: {@code images/}, {@code Flickr8k.token.txt} ({@code IMAGE.jpg#K<TAB>caption}
 * per line) and one {@code Flickr_8k.<split>Images.txt} per split present. Image ids are the file names; caption
 * ids are {@code IMAGE.jpg#K}. The same code reads a folder that holds the held-out test split.
 */
public final class Flickr8k {

  public static final String TOKENS = "Flickr8k.token.txt";
  public static final String IMAGES = "images";

  private Flickr8k() {}

  /** The splits whose split file exists in {@code dir}. */
  public static Set<Split> presentSplits(Path dir) {
    Set<Split> present = EnumSet.noneOf(Split.class);
    for (Split s : Split.values()) {
      if (s != Split.ALL && Files.isRegularFile(dir.resolve(s.fileName()))) {
        present.add(s);
      }
    }
    return present;
  }

  /** The images of {@code split} (at most {@code limit} of them, in split-file order) with all their captions. */
  public static Dataset load(Path dir, Split split, int limit) {
    requireLayout(dir);
    Set<Split> present = presentSplits(dir);
    if (split != Split.ALL && !present.contains(split)) {
      throw new DatasetException("split '" + split.label() + "' is not in " + dir + ": " + split.fileName()
          + " is missing (present: " + labels(present) + ")");
    }
    if (present.isEmpty()) {
      throw new DatasetException("no split file (Flickr_8k.<split>Images.txt) in " + dir);
    }
    Set<String> wanted = new LinkedHashSet<>();
    for (Split s : split == Split.ALL ? present : Set.of(split)) {
      wanted.addAll(readSplit(dir.resolve(s.fileName())));
    }
    List<String> chosen = wanted.stream().limit(limit <= 0 ? Long.MAX_VALUE : limit).toList();
    Map<String, List<Dataset.Caption>> captions = readCaptions(dir.resolve(TOKENS));
    List<Dataset.Image> images = new ArrayList<>();
    List<Dataset.Caption> allCaptions = new ArrayList<>();
    for (String name : chosen) {
      Path file = dir.resolve(IMAGES).resolve(name);
      if (!Files.isRegularFile(file)) {
        throw new DatasetException(split.label() + " lists " + name + ", but " + file + " does not exist");
      }
      images.add(new Dataset.Image(name, file));
      allCaptions.addAll(captions.getOrDefault(name, List.of()));
    }
    return new Dataset("flickr8k:" + split.label(), images, allCaptions);
  }

  private static void requireLayout(Path dir) {
    if (!Files.isDirectory(dir)) {
      throw new DatasetException("no dataset folder at " + dir.toAbsolutePath() + "; pass --path to a folder in the "
          + "Flickr8k layout (images/, " + TOKENS + ", Flickr_8k.<split>Images.txt)");
    }
    if (!Files.isDirectory(dir.resolve(IMAGES))) {
      throw new DatasetException(dir.toAbsolutePath() + " has no images/ folder; is it a Flickr8k folder?");
    }
    if (!Files.isRegularFile(dir.resolve(TOKENS))) {
      throw new DatasetException(dir.toAbsolutePath() + " has no " + TOKENS + "; is it a Flickr8k folder?");
    }
  }

  private static List<String> readSplit(Path file) {
    return readUtf8Lines(file).stream().map(String::trim).filter(s -> !s.isEmpty()).toList();
  }

  /** Captions by image, in file order; a malformed line is an error naming the line. */
  static Map<String, List<Dataset.Caption>> readCaptions(Path file) {
    Map<String, List<Dataset.Caption>> byImage = new LinkedHashMap<>();
    List<String> lines = readUtf8Lines(file);
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i);
      if (line.isBlank()) {
        continue;
      }
      int tab = line.indexOf('\t');
      int hash = tab < 0 ? -1 : line.lastIndexOf('#', tab);
      if (tab < 0 || hash <= 0) {
        throw new DatasetException(file + ":" + (i + 1) + ": expected IMAGE.jpg#K<TAB>caption, got '"
            + abbreviate(line) + "'");
      }
      String captionId = line.substring(0, tab).trim();
      String imageId = line.substring(0, hash).trim();
      String text = line.substring(tab + 1).trim();
      byImage.computeIfAbsent(imageId, k -> new ArrayList<>()).add(new Dataset.Caption(captionId, imageId, text));
    }
    return byImage;
  }

  /** Reads a file as strict UTF-8: invalid bytes are an error naming the line, not silent replacement. */
  static List<String> readUtf8Lines(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new DatasetException("cannot read " + file + ": " + e.getMessage());
    }
    try {
      String text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
      return text.lines().toList();
    } catch (CharacterCodingException e) {
      String lenient = new String(bytes, StandardCharsets.UTF_8);
      List<String> lines = lenient.lines().toList();
      for (int i = 0; i < lines.size(); i++) {
        if (lines.get(i).indexOf('\uFFFD') >= 0) {
          throw new DatasetException(file + ":" + (i + 1) + ": not valid UTF-8; re-save the file as UTF-8");
        }
      }
      throw new DatasetException(file + " is not valid UTF-8; re-save it as UTF-8");
    }
  }

  private static String labels(Set<Split> splits) {
    return splits.isEmpty() ? "none" : splits.stream().map(Split::label).collect(Collectors.joining(", "));
  }

  private static String abbreviate(String s) {
    return s.length() > 80 ? s.substring(0, 77) + "..." : s;
  }
}
