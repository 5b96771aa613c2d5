package io.xmodal.query;

import io.xmodal.encoders.Encoders;
import io.xmodal.encoders.IdleSession;
import java.awt.image.BufferedImage;
import java.time.Duration;

/**
 * A query task's two encoder sessions, text and image, each closed after {@code XMODAL_QUERY_IDLE_RELEASE} without a
 * query of its kind and opened again by the next one ({@link IdleSession}).
 */
final class QuerySessions implements AutoCloseable {

  private final IdleSession<String> text;
  private final IdleSession<BufferedImage> image;

  QuerySessions(Encoders encoders, String task, Duration idle) {
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

  /** Closes each session that has been idle long enough (from the processor's punctuation). */
  void closeIfIdle() {
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
