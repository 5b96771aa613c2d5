package io.xmodal.ingest;

/**
 * What a raw record's key must be, and what to tell a producer whose key is not that. Keys are read as UTF-8 strings
 * (Kafka's {@code StringDeserializer}), so a key written by another serializer (a registry/Avro key, a long, JSON)
 * arrives as a string that only looks wrong: this names what it probably is.
 */
final class RecordKeys {

  private RecordKeys() {}

  /** The message of a KEY_MISMATCH: the key as read, what it looks like, and what it must be. */
  static String mismatch(String idField, String kind, String key, String id) {
    return "the record key " + describe(key) + " but " + idField + " is '" + id + "'; a " + kind + "'s key must be its "
        + idField + " itself, as a plain UTF-8 string (Java: StringSerializer; Python: the str, or its "
        + ".encode('utf-8')), not Avro, JSON or a number";
  }

  static String describe(String key) {
    if (key == null) {
      return "is null";
    }
    String shown = "'" + escape(key) + "'";
    if (!key.isEmpty() && key.charAt(0) == '\u0000') {
      return shown + " starts with a zero byte (a binary key: one written by a registry/Avro serializer, whose "
          + "first byte is the magic byte 0, or a number) and";
    }
    if (key.indexOf('\uFFFD') >= 0) {
      return shown + " is not valid UTF-8 and";
    }
    if (key.chars().anyMatch(c -> Character.isISOControl(c))) {
      return shown + " holds control characters (a binary key, not text) and";
    }
    return "is " + shown;
  }

  /** The key with control and non-ASCII-printable characters as \\uXXXX, capped. */
  static String escape(String key) {
    StringBuilder out = new StringBuilder();
    int shown = 0;
    for (int i = 0; i < key.length() && shown < 120; i++, shown++) {
      char c = key.charAt(i);
      if (Character.isISOControl(c) || c == '\uFFFD') {
        out.append(String.format("\\u%04x", (int) c));
      } else {
        out.append(c);
      }
    }
    if (key.length() > 120) {
      out.append("…");
    }
    return out.toString();
  }
}
