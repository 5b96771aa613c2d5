package io.xmodal.mapping.refit;

import io.xmodal.mapping.ModelSearch;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * What a finished refit publishes and reports, decided apart from how (the trainer's processor turns it into a
 * mapping event and metric records): the candidate {@link Gates} chose, whether it is promoted, the version it gets,
 * and one metric per figure an operator watches — every candidate's held-out recall (tagged with whether it was
 * promoted), each learned map's training figures or its error, the live version's score on the same pairs, every
 * candidate too large to publish, and the promotion or refusal.
 *
 * @param chosen  the candidate the gates chose (null when none fits a record)
 * @param promote whether {@code chosen} is published
 * @param version the version it is published as
 * @param metrics what to report, in order
 */
public record Publication(ModelSearch.Candidate chosen, boolean promote, long version, List<Metric> metrics) {

  /** One figure to report: its name, value, unit and tags. */
  public record Metric(String name, double value, String unit, Map<String, String> tags) {}

  /**
   * @param r           the refit
   * @param selection   what {@link Gates#select} chose from its candidates
   * @param mapping     the mapping's name
   * @param version     the version a promoted candidate gets
   * @param liveVersion the live version (null when none)
   */
  public static Publication of(Refit.Result r, Gates.Selection selection, String mapping, long version,
                               Long liveVersion) {
    List<Metric> metrics = new ArrayList<>();
    for (Gates.Oversized o : selection.tooLarge()) {
      metrics.add(new Metric("mapping.too_large", o.bytes(), "bytes",
          Map.of("mapping", mapping, "candidate", o.candidate().map().label())));
    }
    ModelSearch.Candidate chosen = selection.chosen();
    boolean promote = selection.promote() && chosen != null;
    for (ModelSearch.Candidate c : r.candidates()) {
      Map<String, String> tags = new HashMap<>();
      tags.put("mapping", mapping);
      tags.put("candidate", c.map().label());
      tags.put("method", c.map().method().name());
      boolean published = promote && c == chosen;
      tags.put("promoted", Boolean.toString(published));
      if (published) {
        tags.put("version", Long.toString(version));
      }
      c.validation().asMap().forEach((name, value) -> metrics.add(new Metric("mapping.heldout." + name, value,
          name.equals("rsum") ? "points" : "percent", Map.copyOf(tags))));
    }
    for (Refit.LearnedOutcome o : r.learned()) {
      if (o.error() != null) {
        metrics.add(new Metric("mapping.learned.failed", 1, "count",
            Map.of("mapping", mapping, "kind", o.kind(), "error", o.error())));
        continue;
      }
      Map<String, String> tags = Map.of("mapping", mapping, "kind", o.kind());
      o.figures().forEach((name, value) -> metrics.add(new Metric("mapping.learned." + name, value,
          name.equals("gain") ? "points" : name.contains("seconds") ? "seconds" : "epochs", tags)));
    }
    if (r.liveRecall() != null) {
      metrics.add(new Metric("mapping.live.rsum", r.liveRecall().rsum(), "points",
          Map.of("mapping", mapping, "version", String.valueOf(liveVersion))));
    }
    if (chosen != null) {
      metrics.add(promote
          ? new Metric("mapping.promoted", version, "version", Map.of("mapping", mapping, "candidate",
              chosen.map().label()))
          : new Metric("mapping.refused", chosen.validation().rsum(), "points", Map.of("mapping", mapping,
              "candidate", chosen.map().label())));
    }
    return new Publication(chosen, promote, version, List.copyOf(metrics));
  }
}
