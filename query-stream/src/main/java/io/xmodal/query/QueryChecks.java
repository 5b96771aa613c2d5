package io.xmodal.query;

import io.xmodal.schemas.Modality;
import io.xmodal.schemas.Query;

/** What makes a query answerable, in both modes. */
final class QueryChecks {

  private QueryChecks() {}

  /** Why {@code q} cannot be answered, or null when it can. */
  static String problem(Query q, int maxK) {
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
    if (q.getK() < 1 || q.getK() > maxK) {
      return "k must be between 1 and " + maxK + " (XMODAL_QUERY_MAX_K), got " + q.getK();
    }
    return null;
  }
}
