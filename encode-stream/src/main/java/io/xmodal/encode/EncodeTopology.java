package io.xmodal.encode;

import io.xmodal.encoders.Encoders;

import io.xmodal.platform.streams.Outcome;
import io.xmodal.platform.streams.OutcomeRoutes;
import io.xmodal.platform.streams.RejectionFactory;
import io.xmodal.platform.topics.TopicCatalogue;
import io.xmodal.platform.topics.TopicSpec;
import io.xmodal.schemas.Embedding;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The encode-stream topology:
 * <pre>
 *   xmodal.images   ─ images-encode   ─┬─&gt; xmodal.embeddings.image (key imageId)
 *   xmodal.captions ─ captions-encode ─┼─&gt; xmodal.embeddings.text  (key captionId, carries imageId)
 *                                      ├─&gt; xmodal.rejected (ENCODING_FAILED)
 *                                      └─&gt; xmodal.metrics
 * </pre>
 * The models are loaded once by the caller and shared; each task opens its own session. Images are decoded and
 * resized by a small pool of threads ({@link PreparePool}, {@code XMODAL_ENCODE_DECODE_THREADS}) from the moment
 * they are buffered, in parallel with the stream thread's polling and encoding; captions are passed on as they are.
 */
public final class EncodeTopology {

  private EncodeTopology() {}

  public static Topology buildTopology(EncodeConfig config, TopicCatalogue topics, Encoders encoders) {
    return buildTopology(config, topics, EncodeModels.of(encoders));
  }

  /** The same topology on any models of the right shapes (the encode benchmark's pipeline ceiling uses this). */
  public static Topology buildTopology(EncodeConfig config, TopicCatalogue topics, EncodeModels models) {
    StreamsBuilder builder = new StreamsBuilder();
    RejectionFactory rejections = new RejectionFactory(config.applicationId(), config.dlqPayloadCap());
    PreparePool decoders = PreparePool.of(config.decodeThreads(), config.applicationId() + "-decode");
    route(builder, topics, topics.images(), topics.imageEmbeddings(), new ImageModality(models.image(),
        models.resizeTo()), config, rejections, decoders);
    route(builder, topics, topics.captions(), topics.textEmbeddings(), new TextModality(models.text()), config,
        rejections, decoders);
    return builder.build();
  }

  /**
   * The store of the records waiting for their batch: key → source offset (was {@code encode-<kind>-buffer}, which
   * held the values themselves; renamed because its changelog's format changed).
   */
  static String bufferStore(String kind) {
    return "encode-" + kind + "-pending";
  }

  private static <V extends SpecificRecord, I> void route(StreamsBuilder builder, TopicCatalogue topics,
                                                          TopicSpec<String, V> input,
                                                          TopicSpec<String, Embedding> output,
                                                          Modality<V, I> modality, EncodeConfig config,
                                                          RejectionFactory rejections, PreparePool pool) {
    String kind = modality.kind();
    KStream<String, Outcome<Embedding>> outcomes = builder
        .stream(input.name(), input.consumed(kind + "-source"))
        .process(new Supplier<>(modality, input, config, rejections, pool), Named.as(kind + "-encode"));
    OutcomeRoutes.route(outcomes, kind + "-embedding", output, topics);
  }

  private record Supplier<V extends SpecificRecord, I>(Modality<V, I> modality, TopicSpec<String, V> input,
                                                       EncodeConfig config, RejectionFactory rejections,
                                                       PreparePool pool)
      implements ProcessorSupplier<String, V, String, Outcome<Embedding>> {

    @Override
    public Processor<String, V, String, Outcome<Embedding>> get() {
      return new BatchEncodeProcessor<>(modality, bufferStore(modality.kind()), input.name(), config, rejections, pool,
          (configs, partition) -> new KafkaSourceReader<>(configs, partition, input.valueSerde().deserializer()));
    }

    @Override
    public Set<StoreBuilder<?>> stores() {
      // in memory for speed, changelogged for safety; it only ever holds one batch, as key → source offset (the
      // values are in the source topic already: an image's bytes are not written a second time)
      StoreBuilder<KeyValueStore<String, Long>> buffer = Stores.keyValueStoreBuilder(
          Stores.inMemoryKeyValueStore(bufferStore(modality.kind())), Serdes.String(), Serdes.Long());
      return Set.of(buffer);
    }
  }
}
