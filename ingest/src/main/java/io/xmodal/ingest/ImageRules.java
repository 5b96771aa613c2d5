package io.xmodal.ingest;

import io.xmodal.schemas.ContentHash;
import io.xmodal.schemas.ImageEvent;
import io.xmodal.schemas.RejectReason;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Optional;

/**
 * Image checks, in order: an id, the key equal to it, bytes (or a {@code file:} URI under the allowed root),
 * the byte-size limit, a supported format, the pixel limit from the header, then a full decode.
 */
public final class ImageRules implements ValidationRules<ImageEvent> {

  private final long maxBytes;
  private final long maxPixels;
  private final Optional<Path> uriRoot;

  public ImageRules(long maxBytes, long maxPixels, Optional<Path> uriRoot) {
    this.maxBytes = maxBytes;
    this.maxPixels = maxPixels;
    this.uriRoot = uriRoot;
  }

  public static ImageRules from(IngestConfig config) {
    return new ImageRules(config.maxImageBytes(), config.maxPixels(), config.uriRoot());
  }

  @Override
  public String kind() {
    return "images";
  }

  @Override
  public String contentHash(ImageEvent accepted) {
    return accepted.getContentHash();
  }

  @Override
  public Verdict<ImageEvent> validate(String key, ImageEvent image, Instant now) {
    String id = image.getImageId();
    if (id == null || id.isBlank()) {
      return Verdict.refuse(RejectReason.MISSING_ID, "imageId is missing or blank; every image needs a stable id");
    }
    if (!id.equals(key)) {
      return Verdict.refuse(RejectReason.KEY_MISMATCH, RecordKeys.mismatch("imageId", "image", key, id));
    }
    byte[] bytes;
    boolean fromFile = false;
    if (image.getBytes() != null) {
      bytes = toArray(image.getBytes());
    } else if (image.getUri() != null) {
      Verdict<byte[]> resolved = resolve(image.getUri());
      if (resolved instanceof Verdict.Refused<byte[]> r) {
        return Verdict.refuse(r.reason(), r.message());
      }
      bytes = ((Verdict.Accepted<byte[]>) resolved).value();
      fromFile = true;
    } else {
      return Verdict.refuse(RejectReason.EMPTY_IMAGE, "image " + id + " carries neither bytes nor a uri");
    }
    if (bytes.length == 0) {
      return Verdict.refuse(RejectReason.EMPTY_IMAGE, "image " + id + " has zero bytes");
    }
    if (bytes.length > maxBytes) {
      return Verdict.refuse(RejectReason.IMAGE_TOO_LARGE, "image " + id + " has " + bytes.length
          + " bytes, over the limit of " + maxBytes + " (XMODAL_INGEST_MAX_IMAGE_BYTES)");
    }
    ImageInspector.Result result = ImageInspector.inspect(bytes, maxPixels, !fromFile);
    if (result instanceof ImageInspector.Bad bad) {
      return Verdict.refuse(bad.reason(), "image " + id + ": " + bad.message());
    }
    ImageInspector.Ok ok = (ImageInspector.Ok) result;
    String hash = ContentHash.ofImage(bytes);
    ImageEvent accepted = ImageEvent.newBuilder(image)
        .setBytes(ByteBuffer.wrap(bytes))
        .setContentType(ok.format().contentType())
        .setWidth(ok.width())
        .setHeight(ok.height())
        .setContentHash(hash)
        .setIngestedAt(now)
        .build();
    return new Verdict.Accepted<>(accepted, hash);
  }

  /**
   * Reads the file a {@code file:} URI names, only if its real path (every symbolic link resolved) is a regular file
   * under the real path of {@code XMODAL_INGEST_URI_ROOT}: a link inside the root that points outside it is refused
   * before anything is read. Messages name paths, never the file's contents.
   */
  private Verdict<byte[]> resolve(String uriText) {
    if (uriRoot.isEmpty()) {
      return Verdict.refuse(RejectReason.UNRESOLVABLE_URI, "image URIs are not enabled (uri " + uriText
          + "); send the bytes, or set XMODAL_INGEST_URI_ROOT to the folder ingest may read");
    }
    Path path;
    try {
      URI uri = URI.create(uriText);
      if (!"file".equalsIgnoreCase(uri.getScheme())) {
        return Verdict.refuse(RejectReason.UNRESOLVABLE_URI, "only file: URIs are resolved, got " + uriText);
      }
      path = Path.of(uri).toAbsolutePath().normalize();
    } catch (IllegalArgumentException | FileSystemNotFoundException e) {
      return Verdict.refuse(RejectReason.UNRESOLVABLE_URI, "malformed uri " + uriText + ": " + e.getMessage());
    }
    Path root = uriRoot.get();
    if (!path.startsWith(root)) {
      return Verdict.refuse(RejectReason.UNRESOLVABLE_URI, path + " is outside XMODAL_INGEST_URI_ROOT " + root);
    }
    Path real;
    Path realRoot;
    try {
      realRoot = root.toRealPath();
    } catch (IOException e) {
      return Verdict.refuse(RejectReason.UNRESOLVABLE_URI, "XMODAL_INGEST_URI_ROOT " + root
          + " cannot be resolved (" + e.getClass().getSimpleName() + "); point it at an existing folder");
    }
    try {
      real = path.toRealPath();
    } catch (IOException e) {
      return Verdict.refuse(RejectReason.UNRESOLVABLE_URI, "no file at " + path);
    }
    if (!real.startsWith(realRoot)) {
      return Verdict.refuse(RejectReason.UNRESOLVABLE_URI, path + " resolves through a symbolic link to a path "
          + "outside XMODAL_INGEST_URI_ROOT " + root + "; only files under the root are read");
    }
    if (!Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
      return Verdict.refuse(RejectReason.UNRESOLVABLE_URI, path + " is not a regular file");
    }
    try (SeekableByteChannel in = Files.newByteChannel(real, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
      long size = in.size();
      if (size > maxBytes) {
        return Verdict.refuse(RejectReason.IMAGE_TOO_LARGE, path + " has " + size
            + " bytes, over the limit of " + maxBytes + " (XMODAL_INGEST_MAX_IMAGE_BYTES)");
      }
      // never more than the limit, even if the file grows while it is read
      ByteBuffer buffer = ByteBuffer.allocate((int) Math.min(maxBytes + 1, Math.max(size, 0) + 1));
      while (buffer.hasRemaining() && in.read(buffer) > 0) {
        // keep reading
      }
      if (!buffer.hasRemaining() && buffer.capacity() > maxBytes) {
        return Verdict.refuse(RejectReason.IMAGE_TOO_LARGE, path + " grew over the limit of " + maxBytes
            + " bytes (XMODAL_INGEST_MAX_IMAGE_BYTES) while it was read");
      }
      byte[] out = new byte[buffer.position()];
      buffer.flip().get(out);
      return new Verdict.Accepted<>(out, "");
    } catch (IOException e) {
      return Verdict.refuse(RejectReason.UNRESOLVABLE_URI, "cannot read " + path + " ("
          + e.getClass().getSimpleName() + ")");
    }
  }

  private static byte[] toArray(ByteBuffer buffer) {
    ByteBuffer b = buffer.duplicate();
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }
}
