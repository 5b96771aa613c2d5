package io.xmodal.platform.serde;

import static org.assertj.core.api.Assertions.assertThat;

import io.xmodal.schemas.CaptionEvent;
import io.xmodal.schemas.Embedding;
import io.xmodal.schemas.ImageEvent;
import io.xmodal.schemas.MappingModel;
import io.xmodal.schemas.MetricEvent;
import io.xmodal.schemas.Query;
import io.xmodal.schemas.QueryResult;
import io.xmodal.schemas.Rejection;
import java.util.List;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.junit.jupiter.api.Test;

class AvroSamplesTest {

  @Test
  void shouldBuildASerialisableSampleOfEveryEventType() {
    for (Class<? extends SpecificRecord> type : List.of(ImageEvent.class, CaptionEvent.class, Rejection.class,
        Embedding.class, MappingModel.class, MetricEvent.class, Query.class, QueryResult.class)) {
      roundTrip(type);
    }
  }

  private static <T extends SpecificRecord> void roundTrip(Class<T> type) {
    Serde<T> serde = new PlainAvroSerdes().valueSerde(type);
    T sample = AvroSamples.of(type);

    T back = serde.deserializer().deserialize("t", serde.serializer().serialize("t", sample));

    assertThat(back).as(type.getSimpleName()).isEqualTo(sample);
  }
}
