package io.xmodal.query.sharded;

import io.xmodal.schemas.Hit;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;

/**
 * The gather's merge: the global top-k of a query is the top-k of the union of every partition's top-k, since each
 * item lives in exactly one partition and its score (similarity minus its own hubness penalty) does not depend on the
 * others. Higher score first; equal scores by id, so the order does not depend on the order partials arrived in.
 */
public final class ShardMerge {

  private static final Comparator<Hit> BEST_FIRST = Comparator.comparing(Hit::getScore, Comparator.reverseOrder())
      .thenComparing(Hit::getId);

  private ShardMerge() {}

  public static List<Hit> merge(Collection<? extends List<Hit>> partials, int k) {
    List<Hit> all = new ArrayList<>();
    partials.forEach(all::addAll);
    all.sort(BEST_FIRST);
    return new ArrayList<>(all.subList(0, Math.min(k, all.size())));
  }
}
