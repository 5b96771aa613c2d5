"""A producer team's code, with Confluent's Python client (librdkafka: CRC32 partitioner by default) and its Avro
serializer against the registry's Confluent-compatible API. Run by PythonProducerIT:

  produce BOOTSTRAP CCOMPAT SCHEMAS MANIFEST DELETE_COUNT OUT.json
      re-sends every image and caption of MANIFEST unchanged, deletes the first DELETE_COUNT of each (tombstones) and
      publishes them again, all with the client's default partitioner; writes where each record went
  consume BOOTSTRAP CCOMPAT OUT.json TOPIC...
      reads the topics from the beginning (read_committed) with the Avro deserializer; writes each id's history
"""
import datetime
import json
import sys
import zlib

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka import avro
from confluent_kafka.avro import CachedSchemaRegistryClient
from confluent_kafka.avro.serializer.message_serializer import MessageSerializer


def produce(bootstrap, ccompat, schemas, manifest_path, delete_count, out_path):
    manifest = json.load(open(manifest_path))
    image_schema = avro.loads(open(schemas + "/ImageEvent.avsc").read())
    caption_schema = avro.loads(open(schemas + "/CaptionEvent.avsc").read())
    placed = []

    def report(topic, key):
        def callback(err, msg):
            if err is not None:
                raise RuntimeError("delivery of %s failed: %s" % (key, err))
            placed.append({"topic": msg.topic(), "key": key, "partition": msg.partition(),
                           "tombstone": msg.value() is None})
        return callback

    # the client's Avro serializer (what its AvroProducer uses) for values; keys are plain UTF-8 strings
    serializer = MessageSerializer(CachedSchemaRegistryClient({"url": ccompat}))
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    schemas_by_topic = {manifest["imagesRaw"]: image_schema, manifest["captionsRaw"]: caption_schema}
    now = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)

    def image(entry):
        return {"imageId": entry["imageId"], "bytes": open(entry["file"], "rb").read(), "uri": None,
                "contentType": None, "source": "python", "producedAt": now, "ingestedAt": None,
                "contentHash": None, "width": None, "height": None}

    def caption(entry):
        return {"captionId": entry["captionId"], "imageId": entry["imageId"], "text": entry["text"],
                "language": "en", "source": "python", "producedAt": now, "ingestedAt": None, "contentHash": None}

    def send(topic, key, value):
        payload = None if value is None else serializer.encode_record_with_schema(topic, schemas_by_topic[topic], value)
        producer.produce(topic, value=payload, key=key.encode("utf-8"), on_delivery=report(topic, key))
        producer.poll(0)

    entries = manifest["entries"]
    for e in entries:  # the same content again: duplicates
        send(manifest["imagesRaw"], e["imageId"], image(e))
        send(manifest["captionsRaw"], e["captionId"], caption(e))
    for e in entries[:delete_count]:  # deleted, then published again
        send(manifest["imagesRaw"], e["imageId"], None)
        send(manifest["captionsRaw"], e["captionId"], None)
    for e in entries[:delete_count]:
        send(manifest["imagesRaw"], e["imageId"], image(e))
        send(manifest["captionsRaw"], e["captionId"], caption(e))
    if producer.flush(30) > 0:
        raise RuntimeError("records still unsent after 30 s")
    json.dump({"placed": placed, "crc32": {e: zlib.crc32(e.encode("utf-8")) for e in
                                           [x["imageId"] for x in entries] + [x["captionId"] for x in entries]}},
              open(out_path, "w"))


def consume(bootstrap, ccompat, out_path, topics):
    serializer = MessageSerializer(CachedSchemaRegistryClient({"url": ccompat}))
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "python-e2e", "isolation.level": "read_committed",
                         "auto.offset.reset": "earliest", "enable.auto.commit": False})
    ends = {}
    for topic in topics:
        for p in consumer.list_topics(topic, timeout=30).topics[topic].partitions:
            ends[(topic, p)] = consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30)[1]
    consumer.assign([TopicPartition(t, p, 0) for (t, p) in ends])
    history = {}
    values = {}
    deadline = datetime.datetime.now() + datetime.timedelta(seconds=90)
    while datetime.datetime.now() < deadline:
        msg = consumer.poll(0.5)
        if msg is not None and not msg.error():
            key = msg.key().decode("utf-8")
            if msg.value() is None:
                history.setdefault(msg.topic() + "/" + key, []).append("deleted")
            else:
                value = serializer.decode_message(msg.value())  # the writer's schema, from the registry
                history.setdefault(msg.topic() + "/" + key, []).append("accepted")
                values[msg.topic() + "/" + key] = {"contentHash": value.get("contentHash"), "width": value.get("width")}
        positions = consumer.position([TopicPartition(t, p) for (t, p) in ends])
        if all(ends[(tp.topic, tp.partition)] == 0 or tp.offset >= ends[(tp.topic, tp.partition)] for tp in positions):
            break
    consumer.close()
    json.dump({"history": history, "values": values}, open(out_path, "w"))


if __name__ == "__main__":
    if sys.argv[1] == "produce":
        produce(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]), sys.argv[7])
    else:
        consume(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
