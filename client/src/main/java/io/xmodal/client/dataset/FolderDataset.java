package io.xmodal.client.dataset;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * A generic folder: image files ({@code .jpg}, {@code .jpeg}, {@code .png}) and a captions file, either CSV with a
 * header naming {@code image} and {@code caption} columns (optionally {@code caption_id}), or JSONL with objects
 * {@code {"image": "...", "caption": "...", "caption_id": "..."}}. Image ids are the file names.
 */
public final class FolderDataset {

  private static final ObjectMapper JSON = new ObjectMapper();

  private FolderDataset() {}

  public static Dataset load(Path folder, Path captionsFile, int limit) {
    if (!Files.isDirectory(folder)) {
      throw new DatasetException("no image folder at " + folder.toAbsolutePath());
    }
    if (!Files.isRegularFile(captionsFile)) {
      throw new DatasetException("no captions file at " + captionsFile.toAbsolutePath()
          + "; pass --captions FILE.csv or FILE.jsonl");
    }
    List<Path> files;
    try (Stream<Path> list = Files.list(folder)) {
      files = list.filter(FolderDataset::isImage).sorted().toList();
    } catch (IOException e) {
      throw new DatasetException("cannot list " + folder + ": " + e.getMessage());
    }
    if (limit > 0 && files.size() > limit) {
      files = files.subList(0, limit);
    }
    String name = captionsFile.getFileName().toString().toLowerCase(Locale.ROOT);
    List<Dataset.Caption> parsed = name.endsWith(".jsonl") || name.endsWith(".ndjson")
        ? readJsonl(captionsFile) : readCsv(captionsFile);
    Map<String, List<Dataset.Caption>> byImage = new LinkedHashMap<>();
    parsed.forEach(c -> byImage.computeIfAbsent(c.imageId(), k -> new ArrayList<>()).add(c));
    List<Dataset.Image> images = new ArrayList<>();
    List<Dataset.Caption> captions = new ArrayList<>();
    for (Path f : files) {
      String id = f.getFileName().toString();
      images.add(new Dataset.Image(id, f));
      captions.addAll(byImage.getOrDefault(id, List.of()));
    }
    return new Dataset("folder:" + folder.getFileName(), images, captions);
  }

  private static boolean isImage(Path p) {
    String n = p.getFileName().toString().toLowerCase(Locale.ROOT);
    return Files.isRegularFile(p) && (n.endsWith(".jpg") || n.endsWith(".jpeg") || n.endsWith(".png"));
  }

  static List<Dataset.Caption> readJsonl(Path file) {
    List<String> lines = Flickr8k.readUtf8Lines(file);
    List<Dataset.Caption> out = new ArrayList<>();
    Map<String, Integer> perImage = new HashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).trim();
      if (line.isEmpty()) {
        continue;
      }
      JsonNode node;
      try {
        node = JSON.readTree(line);
      } catch (IOException e) {
        throw new DatasetException(file + ":" + (i + 1) + ": not a JSON object (" + e.getMessage().lines().findFirst().orElse("") + ")");
      }
      String image = text(node, "image");
      String caption = text(node, "caption");
      if (image == null || caption == null) {
        throw new DatasetException(file + ":" + (i + 1) + ": expected {\"image\": \"…\", \"caption\": \"…\"}");
      }
      out.add(new Dataset.Caption(captionId(text(node, "caption_id"), image, perImage), image, caption));
    }
    return out;
  }

  static List<Dataset.Caption> readCsv(Path file) {
    List<String> lines = Flickr8k.readUtf8Lines(file);
    if (lines.isEmpty()) {
      throw new DatasetException(file + " is empty; expected a header with image and caption columns");
    }
    List<String> header = Csv.parse(lines.get(0), file, 1).stream().map(h -> h.trim().toLowerCase(Locale.ROOT)).toList();
    int image = header.indexOf("image");
    int caption = header.indexOf("caption");
    int id = header.indexOf("caption_id");
    if (image < 0 || caption < 0) {
      throw new DatasetException(file + ":1: the header must name 'image' and 'caption' columns, got " + header);
    }
    List<Dataset.Caption> out = new ArrayList<>();
    Map<String, Integer> perImage = new HashMap<>();
    for (int i = 1; i < lines.size(); i++) {
      if (lines.get(i).isBlank()) {
        continue;
      }
      List<String> row = Csv.parse(lines.get(i), file, i + 1);
      if (row.size() != header.size()) {
        throw new DatasetException(file + ":" + (i + 1) + ": " + row.size() + " fields, the header has " + header.size());
      }
      String img = row.get(image).trim();
      out.add(new Dataset.Caption(captionId(id < 0 ? null : row.get(id).trim(), img, perImage), img, row.get(caption)));
    }
    return out;
  }

  private static String captionId(String given, String image, Map<String, Integer> perImage) {
    int k = perImage.merge(image, 1, Integer::sum) - 1;
    return given == null || given.isBlank() ? image + "#" + k : given;
  }

  private static String text(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() ? null : v.asText();
  }

  /** RFC 4180 fields of one line: commas, double quotes, doubled quotes inside quotes. */
  static final class Csv {
    private Csv() {}

    static List<String> parse(String line, Path file, int lineNo) {
      List<String> fields = new ArrayList<>();
      StringBuilder cur = new StringBuilder();
      boolean quoted = false;
      for (int i = 0; i < line.length(); i++) {
        char c = line.charAt(i);
        if (quoted) {
          if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
            cur.append('"');
            i++;
          } else if (c == '"') {
            quoted = false;
          } else {
            cur.append(c);
          }
        } else if (c == '"') {
          quoted = true;
        } else if (c == ',') {
          fields.add(cur.toString());
          cur.setLength(0);
        } else {
          cur.append(c);
        }
      }
      if (quoted) {
        throw new DatasetException(file + ":" + lineNo + ": unterminated quote");
      }
      fields.add(cur.toString());
      return fields;
    }
  }
}
