package io.xmodal.app.cli;

import io.apicurio.registry.serde.Legacy4ByteIdHandler;
import io.apicurio.registry.serde.SerdeConfig;
import io.apicurio.registry.serde.avro.AvroKafkaSerializer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The Java example of {@code docs/producers.md}: the doc quotes the lines between the two markers, word for word
 * ({@link ProducerGuideTest}), and {@link PythonProducerIT} runs it against the embedded stack, after the Python
 * example has published the image the caption describes.
 */
final class ProducerGuideExample {

  private ProducerGuideExample() {}

  // producers.md:begin
  // bootstrap: "127.0.0.1:29092", registry: "http://127.0.0.1:28081/apis/registry/v2" (the embedded default's);
  // avsc: the folder of the schema files, schemas/src/main/avro
  static void publishCaption(String bootstrap, String registry, Path avsc) throws IOException {
    Map<String, Object> props = new HashMap<>();
    props.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    props.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);       // key: the id, a String
    props.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, AvroKafkaSerializer.class);  // configured from props
    props.put(SerdeConfig.REGISTRY_URL, registry);
    props.put(SerdeConfig.ENABLE_HEADERS, false);                                 // the id in the value, not a header
    props.put(SerdeConfig.ID_HANDLER, Legacy4ByteIdHandler.class.getName());      // a 4-byte id
    props.put(SerdeConfig.USE_ID, "contentId");                                   // the id ccompat serves
    props.put(SerdeConfig.EXPLICIT_ARTIFACT_GROUP_ID, "default");
    props.put(SerdeConfig.FIND_LATEST_ARTIFACT, false);                           // look the schema up by its content
    Schema schema = new Schema.Parser().parse(Files.readString(avsc.resolve("CaptionEvent.avsc")));
    try (KafkaProducer<String, GenericRecord> producer = new KafkaProducer<>(props)) {
      GenericRecord caption = new GenericData.Record(schema);
      caption.put("captionId", "dog-1#0");
      caption.put("imageId", "dog-1.jpg");
      caption.put("text", "a dog runs through the snow");
      caption.put("language", "en");
      caption.put("source", "my-team");
      caption.put("producedAt", System.currentTimeMillis());
      producer.send(new ProducerRecord<>("xmodal.captions.raw", "dog-1#0", caption)); // key: the id, a String
      producer.send(new ProducerRecord<>("xmodal.captions.raw", "old#3", null));       // delete old#3
    }
  }
  // producers.md:end
}
