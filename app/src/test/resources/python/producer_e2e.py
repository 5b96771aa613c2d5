"""A producer team's code, with Confluent's Python client (librdkafka: CRC32 partitioner by default) and its Avro
serializer against the registry's Confluent-compatible API. Run by PythonProducerIT:

  produce BOOTSTRAP CCOMPAT SCHEMAS MANIFEST DELETE_COUNT OUT.json
      re-sends every image and caption of MANIFEST unchanged, deletes the first DELETE_COUNT of each (tombstones) and
      publishes them again, all with the client's default partitioner; writes where each record went
  consume BOOTSTRAP CCOMPAT OUT.json TOPIC...
      reads the topics from the beginning (read_committed) with the Avro deserializer; writes each id's history
  query BOOTSTRAP CCOMPAT SCHEMAS MANIFEST QUERIES_TOPIC RESULTS_TOPIC OUT.json
      sends a text query for every caption of MANIFEST and an image query for every image (Query.avsc, the
      AvroSerializer of confluent_kafka.schema_registry, fastavro), reads the results topic from the beginning
      (read_committed, AvroDeserializer) until each query is answered and the topic is read to its end; writes every
      result of these queries and prints the counts

produce and consume use the client's older Avro API (confluent_kafka.avro, python3-avro), query its current one.
"""
import datetime
import json
import sys
import time
import zlib

from confluent_kafka import Consumer, Producer, TopicPartition
from confluent_kafka import avro
from confluent_kafka.avro import CachedSchemaRegistryClient
from confluent_kafka.avro.serializer.message_serializer import MessageSerializer
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import MessageField, SerializationContext


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


def query(bootstrap, ccompat, schemas, manifest_path, queries_topic, results_topic, out_path):
    entries = json.load(open(manifest_path))["entries"]
    registry = SchemaRegistryClient({"url": ccompat})
    serializer = AvroSerializer(registry, open(schemas + "/Query.avsc").read())
    deserializer = AvroDeserializer(registry)

    # the results topic from its beginning, before any query is sent: nothing can be missed
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": "python-e2e-results",
                         "isolation.level": "read_committed", "enable.auto.commit": False})
    partitions = consumer.list_topics(results_topic, timeout=30).topics[results_topic].partitions
    consumer.assign([TopicPartition(results_topic, p, 0) for p in partitions])

    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    sent = []
    now = int(time.time() * 1000)
    for i, e in enumerate(entries):
        for q in ({"queryId": "py-text-%d" % i, "modality": "TEXT", "text": e["text"], "k": 5, "sentAt": now},
                  {"queryId": "py-image-%d" % i, "modality": "IMAGE", "imageBytes": open(e["file"], "rb").read(),
                   "k": 5, "sentAt": now}):
            producer.produce(queries_topic, key=q["queryId"].encode("utf-8"),
                             value=serializer(q, SerializationContext(queries_topic, MessageField.VALUE)))
            producer.poll(0)
            sent.append(q["queryId"])
    if producer.flush(30) > 0:
        raise RuntimeError("queries still unsent after 30 s")

    # until every query has a result; then on to the end of the topic as it was then, for 5 s at least (15 s at
    # most): a second result of a query would come after its first
    wanted = set(sent)
    results = {}
    others = 0
    deadline = time.monotonic() + 180
    all_at = None
    ends = None
    reached_end = False
    while time.monotonic() < deadline:
        msg = consumer.poll(0.5)
        if msg is not None and not msg.error():
            key = msg.key().decode("utf-8")
            if key in wanted:
                r = deserializer(msg.value(), SerializationContext(msg.topic(), MessageField.VALUE))
                results.setdefault(key, []).append({
                    "queryId": r["queryId"], "error": r["error"], "mappingVersion": r["mappingVersion"],
                    "hits": [h["id"] for h in r["hits"]]})
            else:
                others += 1
        if all_at is None and wanted.issubset(results):
            all_at = time.monotonic()
            ends = {p: consumer.get_watermark_offsets(TopicPartition(results_topic, p), timeout=30)[1]
                    for p in partitions}
        if all_at is not None:
            positions = consumer.position([TopicPartition(results_topic, p) for p in partitions])
            reached_end = all(tp.offset >= ends[tp.partition] for tp in positions if ends[tp.partition] > 0)
            waited = time.monotonic() - all_at
            if waited >= 15 or (waited >= 5 and reached_end):
                break
    consumer.close()

    answered = sum(1 for q in sent if q in results)
    twice = sum(1 for q in sent if len(results.get(q, [])) > 1)
    failed = sum(1 for q in sent if any(r["error"] is not None for r in results.get(q, [])))
    print("python queries: %d sent (%d text, %d image), %d answered, %d lost, %d answered more than once, "
          "%d with an error, %d results of other queries" % (len(sent), len(entries), len(entries), answered,
                                                              len(sent) - answered, twice, failed, others))
    json.dump({"sent": sent, "results": results, "others": others, "readToEnd": reached_end}, open(out_path, "w"))


if __name__ == "__main__":
    if sys.argv[1] == "query":
        query(*sys.argv[2:9])
    elif sys.argv[1] == "produce":
        produce(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5], int(sys.argv[6]), sys.argv[7])
    else:
        consume(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
