package io.xmodal.query;

import io.xmodal.encoders.EncoderInfo;
import io.xmodal.query.gallery.DecodedMapping;
import io.xmodal.schemas.EncoderKeys;
import io.xmodal.schemas.MappingModel;
import io.xmodal.schemas.Modality;
import io.xmodal.schemas.Query;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/** What makes a query answerable, in both modes. */
public final class QueryChecks {

  private QueryChecks() {}

  /** Why {@code q} cannot be answered, or null when it can. */
  static String problem(Query q, int maxK, int maxTextChars) {
    int inputs = (q.getText() != null ? 1 : 0) + (q.getImageBytes() != null ? 1 : 0)
        + (q.getExistingId() != null ? 1 : 0);
    if (q.getQueryId() == null || q.getQueryId().isBlank()) {
      return "queryId is missing";
    }
    if (inputs != 1) {
      return "a query needs exactly one of text, imageBytes or existingId; it has " + inputs;
    }
    if (q.getModality() == Modality.TEXT && q.getImageBytes() != null) {
      return "a TEXT query cannot carry imageBytes";
    }
    if (q.getModality() == Modality.IMAGE && q.getText() != null) {
      return "an IMAGE query cannot carry text";
    }
    if (q.getText() != null && q.getText().isBlank()) {
      return "the query text is empty";
    }
    if (q.getText() != null && q.getText().length() > maxTextChars
        && q.getText().codePointCount(0, q.getText().length()) > maxTextChars) {
      return "the query text has " + q.getText().codePointCount(0, q.getText().length()) + " characters, over the "
          + "limit of " + maxTextChars + " (XMODAL_QUERY_MAX_TEXT_CHARS); send a shorter text (the text encoders read "
          + "at most 512 tokens of it anyway)";
    }
    if (q.getImageBytes() != null && !q.getImageBytes().hasRemaining()) {
      return "empty image: imageBytes holds no bytes; send the image file's bytes (JPEG or PNG)";
    }
    if (q.getK() < 1 || q.getK() > maxK) {
      return "k must be between 1 and " + maxK + " (XMODAL_QUERY_MAX_K), got " + q.getK();
    }
    return null;
  }

  /**
   * The answer to a query for a mapping that is not in {@code live}: its name, and the names that are there (keys
   * holding a NUL are a sharded store's previous versions) or, when there are none, that the trainer has not published
   * one yet.
   */
  public static String noMapping(String name, KeyValueStore<String, MappingModel> live) {
    TreeSet<String> names = new TreeSet<>();
    try (KeyValueIterator<String, MappingModel> all = live.all()) {
      while (all.hasNext()) {
        KeyValue<String, MappingModel> kv = all.next();
        if (kv.key.indexOf('\u0000') < 0 && kv.value != null) {
          names.add(kv.key);
        }
      }
    }
    return noMapping(name, List.copyOf(names));
  }

  public static String noMapping(String name, List<String> published) {
    return "no mapping named '" + name + "'" + (published.isEmpty()
        ? "; none is published yet: the trainer publishes 'default' once it has enough pairs"
        : "; the mappings published are: " + String.join(", ", published) + " (Query.mappingName)");
  }

  /**
   * Why a query of {@code modality} cannot be answered with {@code mapping}, fitted for other encoders than this
   * query-stream runs ({@code mine}), or null when the encoders agree.
   */
  public static String encoderMismatch(DecodedMapping mapping, Modality modality, EncoderInfo mine) {
    boolean text = modality == Modality.TEXT;
    String modelEncoder = EncoderKeys.of(text ? mapping.model().getTextEncoder() : mapping.model().getImageEncoder());
    return EncoderKeys.of(mine.name(), mine.checksum()).equals(modelEncoder) ? null
        : "mapping " + mapping.model().getName() + " v" + mapping.version() + " was fitted for another "
            + (text ? "text" : "image") + " encoder than this query-stream runs";
  }

  /** The queries one search (or one scatter) answers together: same mapping, same modality, same gallery filter. */
  record Group(String mapping, Modality modality, String gallery) {

    static Group of(Query q, boolean byGallery) {
      return new Group(q.getMappingName(), q.getModality(), byGallery ? Objects.toString(q.getGallery(), "") : "");
    }
  }

  /**
   * A drained batch's queries that can be answered, in groups in the order of their first query; each query with a
   * {@link #problem} goes to {@code refused} with it instead.
   */
  public static <T> Map<Group, List<T>> groups(List<T> batch, Function<T, Query> query, int maxK, int maxTextChars,
                                        boolean byGallery, BiConsumer<Query, String> refused) {
    Map<Group, List<T>> out = new LinkedHashMap<>();
    for (T item : batch) {
      Query q = query.apply(item);
      String problem = problem(q, maxK, maxTextChars);
      if (problem != null) {
        refused.accept(q, problem);
      } else {
        out.computeIfAbsent(Group.of(q, byGallery), g -> new ArrayList<>()).add(item);
      }
    }
    return out;
  }
}
