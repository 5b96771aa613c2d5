package io.xmodal.query.sharded;

import io.xmodal.query.gallery.GalleryIndex;
import io.xmodal.query.gallery.Projector;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.streams.processor.TaskId;

/**
 * The gallery partitions one instance holds in sharded mode: a {@link GalleryIndex} per shard task and modality, fed
 * by the task's store processors and held by its search processor (which fills it from the restored store when the
 * task starts and empties it when the task closes or moves away). One per topology, so per instance; its partitions
 * share one {@link Projector}.
 */
final class ShardIndexes {

  private final Projector projector = new Projector();
  private final ConcurrentHashMap<TaskId, GalleryIndex> images = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<TaskId, GalleryIndex> texts = new ConcurrentHashMap<>();

  /** Where its partitions' first projections are made. */
  Projector projector() {
    return projector;
  }

  GalleryIndex of(boolean image, TaskId task) {
    return (image ? images : texts).computeIfAbsent(task, t -> new GalleryIndex(true, projector));
  }

  /** The task closed: its indexes (already released) are forgotten. */
  void forget(TaskId task, GalleryIndex image, GalleryIndex text) {
    images.remove(task, image);
    texts.remove(task, text);
  }

  /** Items held now, over every partition of this instance. */
  long items(boolean image) {
    return (image ? images : texts).values().stream().mapToLong(GalleryIndex::size).sum();
  }
}
