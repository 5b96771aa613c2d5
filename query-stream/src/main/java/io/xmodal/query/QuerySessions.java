package io.xmodal.query;

import io.xmodal.encoders.EncodingException;
import io.xmodal.encoders.Encoders;
import io.xmodal.encoders.IdleSession;
import io.xmodal.encoders.image.ImageDecoder;
import io.xmodal.mapping.Vectors;
import io.xmodal.schemas.Query;
import java.awt.image.BufferedImage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * A query task's two encoder sessions, text and image, each closed after {@code XMODAL_QUERY_IDLE_RELEASE} without a
 * query of its kind and opened again by the next one ({@link IdleSession}).
 */
public final class QuerySessions implements AutoCloseable {

  private final IdleSession<String> text;
  private final IdleSession<BufferedImage> image;

  public QuerySessions(Encoders encoders, String task, Duration idle) {
    this.text = new IdleSession<>("query task " + task + " texts", encoders.text()::newSession,
        encoders.text()::releaseIfUnused, idle);
    IdleSession<BufferedImage> opened;
    try {
      opened = new IdleSession<>("query task " + task + " images", encoders.image()::newSession,
          encoders.image()::releaseIfUnused, idle);
    } catch (RuntimeException e) {
      text.close();
      throw e;
    }
    this.image = opened;
  }

  IdleSession<String> text() {
    return text;
  }

  IdleSession<BufferedImage> image() {
    return image;
  }

  /** A query with its L2-normalised vector. */
  public record Encoded(Query query, float[] vector) {}

  /**
   * The L2-normalised vectors of {@code queries}' texts or images (decoded here), in one encoder call, in their order;
   * a query whose image cannot be decoded, or every query of a call the encoder refuses, goes to {@code refused} with
   * the reason instead.
   */
  public List<Encoded> encode(List<Query> queries, boolean text, BiConsumer<Query, String> refused) {
    List<Encoded> out = new ArrayList<>();
    List<Query> toEncode = new ArrayList<>();
    List<String> texts = new ArrayList<>();
    List<BufferedImage> images = new ArrayList<>();
    for (Query q : queries) {
      try {
        if (text) {
          texts.add(q.getText());
        } else {
          images.add(ImageDecoder.decodeRgb(Buffers.bytes(q.getImageBytes())));
        }
        toEncode.add(q);
      } catch (EncodingException e) {
        refused.accept(q, "the query image cannot be decoded: " + e.getMessage());
      }
    }
    if (toEncode.isEmpty()) {
      return out;
    }
    float[][] encoded;
    try {
      encoded = text ? this.text.encode(texts) : image.encode(images);
    } catch (EncodingException e) {
      toEncode.forEach(q -> refused.accept(q, e.getMessage()));
      return out;
    }
    for (int i = 0; i < toEncode.size(); i++) {
      out.add(new Encoded(toEncode.get(i), Vectors.l2(encoded[i])));
    }
    return out;
  }

  /** Closes each session that has been idle long enough (from the processor's punctuation). */
  public void closeIfIdle() {
    text.closeIfIdle();
    image.closeIfIdle();
  }

  @Override
  public void close() {
    try {
      text.close();
    } finally {
      image.close();
    }
  }
}
