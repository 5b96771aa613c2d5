# The Python example of docs/producers.md: the doc quotes the lines between the two markers, word for word
# (ProducerGuideTest), and PythonProducerIT runs this file against the embedded stack, with the settings below from
# the environment and dog-1.jpg in its working directory.
# producers.md:begin
import os
import time

from confluent_kafka import Consumer, Producer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext

bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:29092")       # the embedded default's
registry = SchemaRegistryClient({"url": os.environ.get("REGISTRY_URL", "http://127.0.0.1:28081/apis/ccompat/v7")})
avsc = os.environ.get("AVSC_DIR", "schemas/src/main/avro")                    # the files as they are
images = AvroSerializer(registry, open(avsc + "/ImageEvent.avsc").read())    # finds xmodal's version and id
queries = AvroSerializer(registry, open(avsc + "/Query.avsc").read())
producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
now = int(time.time() * 1000)
photo = open("dog-1.jpg", "rb").read()

# an image, and a delete; fields left out take their defaults (null), ingest sets contentType, width, ...
topic = "xmodal.images.raw"
event = {"imageId": "dog-1.jpg", "bytes": photo, "source": "my-team", "producedAt": now}
producer.produce(topic, key="dog-1.jpg".encode("utf-8"),                      # the id, as UTF-8: any partitioner
                 value=images(event, SerializationContext(topic, MessageField.VALUE)))
producer.produce(topic, key="old-2.jpg".encode("utf-8"), value=None)         # delete old-2.jpg

# a text query (images for a caption) and an image query (captions for an image)
topic = "xmodal.queries"
for query in ({"queryId": "my-team-q1", "modality": "TEXT", "text": "a dog runs", "k": 5, "sentAt": now},
              {"queryId": "my-team-q2", "modality": "IMAGE", "imageBytes": photo, "k": 5, "sentAt": now}):
    producer.produce(topic, key=query["queryId"].encode("utf-8"),
                     value=queries(query, SerializationContext(topic, MessageField.VALUE)))
producer.flush()

# their answers, keyed by queryId
results = AvroDeserializer(registry)                                    # the writer's schema, from the registry
consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "my-team-results",
                     "isolation.level": "read_committed", "auto.offset.reset": "earliest"})
consumer.subscribe(["xmodal.results"])
waiting, deadline = {"my-team-q1", "my-team-q2"}, time.time() + 60
while waiting and time.time() < deadline:
    msg = consumer.poll(1)
    if msg is not None and msg.error() is None and msg.key().decode("utf-8") in waiting:
        r = results(msg.value(), SerializationContext(msg.topic(), MessageField.VALUE))
        waiting.discard(r["queryId"])
        print("result", r["queryId"], r["mappingVersion"], r["error"] or [h["id"] for h in r["hits"]])
consumer.close()

# what was refused, and why
rejections = AvroDeserializer(registry)
consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "my-team-dlq",
                     "isolation.level": "read_committed", "auto.offset.reset": "earliest"})
consumer.subscribe(["xmodal.rejected"])
for msg in consumer.consume(num_messages=100, timeout=10):
    if msg.error() is None:
        r = rejections(msg.value(), SerializationContext(msg.topic(), MessageField.VALUE))
        print("rejected", r["reason"], r["sourceTopic"], r["sourcePartition"], r["sourceOffset"], r["message"])
consumer.close()
# producers.md:end
