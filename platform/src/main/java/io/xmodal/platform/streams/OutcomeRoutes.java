package io.xmodal.platform.streams;

import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.platform.topics.TopicSpec;
import java.util.Map;
import org.apache.kafka.streams.kstream.Branched;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;

/**
 * Routes a stream of {@link Outcome}s, every node named after {@code prefix}:
 * <pre>
 *   ─┬─ &lt;prefix&gt;-accepted ─&gt; output
 *    ├─ &lt;prefix&gt;-refused  ─&gt; xmodal.rejected
 *    └─ &lt;prefix&gt;-metrics  ─&gt; xmodal.metrics
 * </pre>
 */
public final class OutcomeRoutes {

  private OutcomeRoutes() {}

  public static <V> void route(KStream<String, Outcome<V>> outcomes, String prefix, TopicSpec<String, V> output,
                               TopicCatalogue topics) {
    Map<String, KStream<String, Outcome<V>>> routes = outcomes.split(Named.as(prefix + "-"))
        .branch((key, outcome) -> outcome instanceof Outcome.Accepted, Branched.as("accepted"))
        .branch((key, outcome) -> outcome instanceof Outcome.Refused, Branched.as("refused"))
        .defaultBranch(Branched.as("metrics"));

    routes.get(prefix + "-accepted")
        .mapValues(outcome -> ((Outcome.Accepted<V>) outcome).value(), Named.as(prefix + "-accepted-value"))
        .to(output.name(), output.produced(prefix + "-sink"));
    routes.get(prefix + "-refused")
        .mapValues(outcome -> ((Outcome.Refused<V>) outcome).rejection(), Named.as(prefix + "-refused-value"))
        .to(topics.rejected().name(), topics.rejected().produced(prefix + "-rejected-sink"));
    routes.get(prefix + "-metrics")
        .mapValues(outcome -> ((Outcome.Metric<V>) outcome).metric(), Named.as(prefix + "-metrics-value"))
        .to(topics.metrics().name(), topics.metrics().produced(prefix + "-metrics-sink"));
  }
}
