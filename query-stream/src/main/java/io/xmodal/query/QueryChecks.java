package io.xmodal.query;

import io.xmodal.schemas.Modality;
import io.xmodal.schemas.MappingModel;
import io.xmodal.schemas.Query;
import java.util.List;
import java.util.TreeSet;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/** What makes a query answerable, in both modes. */
final class QueryChecks {

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
  static String noMapping(String name, KeyValueStore<String, MappingModel> live) {
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

  static String noMapping(String name, List<String> published) {
    return "no mapping named '" + name + "'" + (published.isEmpty()
        ? "; none is published yet: the trainer publishes 'default' once it has enough pairs"
        : "; the mappings published are: " + String.join(", ", published) + " (Query.mappingName)");
  }
}
