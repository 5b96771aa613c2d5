package io.xmodal.tools.chaos;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What a chaos run sent and what the pipeline committed (read_committed), per stage, counted by key: a stage's
 * input is lost when no committed output carries its key, and duplicated once for every committed output beyond the
 * first with the same key (each input key is sent once, so compaction would keep one record per key and nothing
 * more is allowed). The trainer's outputs are mapping versions: a gap in a mapping's version numbers counts as lost,
 * a version published twice as duplicated. Pure bookkeeping, fed by {@link ChaosCommand}; a unit test covers it.
 */
public final class ChaosLedger {

  /** A pipeline stage and the output topics it is judged on. */
  public enum Stage {
    INGEST("ingest"), ENCODE("encode-stream"), TRAINER("mapping-trainer"), QUERY("query-stream");

    private final String label;

    Stage(String label) {
      this.label = label;
    }

    public String label() {
      return label;
    }
  }

  /** One line of the table. */
  public record Row(Stage stage, long inputs, long outputs, long lost, long duplicated, long deadLetters) {}

  private final Map<Stage, Set<String>> expected = new HashMap<>();
  private final Map<Stage, Map<String, Integer>> seen = new HashMap<>();
  private final Map<Stage, Long> deadLetters = new HashMap<>();
  /** Mapping name → version → times published. */
  private final Map<String, TreeMap<Long, Integer>> versions = new TreeMap<>();

  /** Keys the stage must put out exactly once (ingest and encode: item ids; query: query ids). */
  public void expect(Stage stage, Iterable<String> keys) {
    Set<String> set = expected.computeIfAbsent(stage, s -> new LinkedHashSet<>());
    keys.forEach(set::add);
  }

  /** A committed output record of a keyed stage; a tombstone does not count as an output. */
  public void output(Stage stage, String key) {
    seen.computeIfAbsent(stage, s -> new HashMap<>()).merge(key, 1, Integer::sum);
  }

  /** A committed mapping version. */
  public void version(String mapping, long version) {
    versions.computeIfAbsent(mapping, m -> new TreeMap<>()).merge(version, 1, Integer::sum);
  }

  /** A dead letter whose source was this stage's input. */
  public void deadLetter(Stage stage) {
    deadLetters.merge(stage, 1L, Long::sum);
  }

  /** Outputs seen so far for a stage's expected keys (distinct), to follow progress. */
  public long delivered(Stage stage) {
    Map<String, Integer> s = seen.getOrDefault(stage, Map.of());
    return expected.getOrDefault(stage, Set.of()).stream().filter(s::containsKey).count();
  }

  public long expected(Stage stage) {
    return expected.getOrDefault(stage, Set.of()).size();
  }

  /** The highest version of each mapping seen. */
  public Map<String, Long> latestVersions() {
    Map<String, Long> out = new TreeMap<>();
    versions.forEach((m, v) -> out.put(m, v.lastKey()));
    return out;
  }

  public List<Row> rows() {
    List<Row> rows = new ArrayList<>();
    for (Stage stage : Stage.values()) {
      long dl = deadLetters.getOrDefault(stage, 0L);
      if (stage == Stage.TRAINER) {
        long published = 0;
        long gaps = 0;
        long repeats = 0;
        for (TreeMap<Long, Integer> v : versions.values()) {
          published += v.size();
          gaps += v.lastKey() - v.size(); // versions 1..last, each once
          repeats += v.values().stream().mapToLong(n -> n - 1).sum();
        }
        rows.add(new Row(stage, expected(stage), published, gaps, repeats, dl));
        continue;
      }
      Set<String> want = expected.getOrDefault(stage, Set.of());
      Map<String, Integer> got = seen.getOrDefault(stage, Map.of());
      long lost = want.stream().filter(k -> !got.containsKey(k)).count();
      long dup = got.values().stream().mapToLong(n -> n - 1).sum();
      rows.add(new Row(stage, want.size(), got.size(), lost, dup, dl));
    }
    return rows;
  }

  public long lost() {
    return rows().stream().mapToLong(Row::lost).sum();
  }

  public long duplicated() {
    return rows().stream().mapToLong(Row::duplicated).sum();
  }
}
