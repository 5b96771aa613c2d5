package io.xmodal.ingest;

import io.xmodal.schemas.ImageEvent;
import io.xmodal.schemas.RejectReason;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
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
  public Verdict<ImageEvent> validate(String key, ImageEvent image, Instant now) {
    String id = image.getImageId();
    if (id == null || id.isBlank()) {
      return Verdict.refuse(RejectReason.MISSING_ID, "imageId is missing or blank; every image needs a stable id");
    }
    if (!id.equals(key)) {
      return Verdict.refuse(RejectReason.KEY_MISMATCH, "the record key " + (key == null ? "is null" : "'" + key + "'")
          + " but imageId is '" + id + "'; producers must key images by imageId");
    }
    byte[] bytes;
    if (image.getBytes() != null) {
      bytes = toArray(image.getBytes());
    } else if (image.getUri() != null) {
      Verdict<byte[]> resolved = resolve(image.getUri());
      if (resolved instanceof Verdict.Refused<byte[]> r) {
        return Verdict.refuse(r.reason(), r.message());
      }
      bytes = ((Verdict.Accepted<byte[]>) resolved).value();
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
    ImageInspector.Result result = ImageInspector.inspect(bytes, maxPixels);
    if (result instanceof ImageInspector.Bad bad) {
      return Verdict.refuse(bad.reason(), "image " + id + ": " + bad.message());
    }
    ImageInspector.Ok ok = (ImageInspector.Ok) result;
    String hash = ContentHash.of(bytes);
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
    } catch (IllegalArgumentException e) {
      return Verdict.refuse(RejectReason.UNRESOLVABLE_URI, "malformed uri " + uriText + ": " + e.getMessage());
    }
    if (!path.startsWith(uriRoot.get())) {
      return Verdict.refuse(RejectReason.UNRESOLVABLE_URI, path + " is outside XMODAL_INGEST_URI_ROOT " + uriRoot.get());
    }
    try {
      if (!Files.isRegularFile(path)) {
        return Verdict.refuse(RejectReason.UNRESOLVABLE_URI, "no file at " + path);
      }
      if (Files.size(path) > maxBytes) {
        return Verdict.refuse(RejectReason.IMAGE_TOO_LARGE, path + " has " + Files.size(path)
            + " bytes, over the limit of " + maxBytes + " (XMODAL_INGEST_MAX_IMAGE_BYTES)");
      }
      return new Verdict.Accepted<>(Files.readAllBytes(path), "");
    } catch (IOException e) {
      return Verdict.refuse(RejectReason.UNRESOLVABLE_URI, "cannot read " + path + ": " + e.getMessage());
    }
  }

  private static byte[] toArray(ByteBuffer buffer) {
    ByteBuffer b = buffer.duplicate();
    byte[] out = new byte[b.remaining()];
    b.get(out);
    return out;
  }
}
