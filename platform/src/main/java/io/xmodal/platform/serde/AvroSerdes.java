package io.xmodal.platform.serde;

import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;

/** Makes value serdes for the generated Avro records. Production: {@link RegistryAvroSerdes}. */
public interface AvroSerdes {

  /** A value serde for records of {@code type}, already configured. */
  <T extends SpecificRecord> Serde<T> valueSerde(Class<T> type);
}
