package io.xmodal.tools.eval;

import io.xmodal.client.publish.Progress;
import io.xmodal.encoders.EncoderInfo;
import io.xmodal.encoders.EncoderSession;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Embeddings of a dataset on disk, keyed by encoder identity (name + model checksum) and by the exact list of ids,
 * so a second run does not re-encode and a changed model or dataset never reads stale vectors.
 */
public final class EmbeddingCache {

  private static final int MAGIC = 0x584D4531; // "XME1"

  private final Path dir;
  private final PrintStream out;

  public EmbeddingCache(Path dir, PrintStream out) {
    this.dir = dir;
    this.out = out;
  }

  /**
   * The vectors of {@code items} (in order), encoded with {@code session} in batches of 32 unless cached.
   *
   * @param what    a label for the progress line, e.g. "dev captions"
   * @param ids     one id per item, part of the cache key
   * @param prepare item → encoder input (decode, take text)
   */
  public <T, I> float[][] embed(String what, EncoderInfo encoder, List<String> ids, List<T> items,
                                Function<T, I> prepare, Supplier<EncoderSession<I>> session) {
    Path file = dir.resolve(encoder.name() + "-" + encoder.checksum().substring(0, 12)).resolve(key(ids) + ".bin");
    if (Files.isRegularFile(file)) {
      float[][] cached = read(file, ids.size());
      if (cached != null) {
        out.printf("%s: %d vectors from the cache (%s)%n", what, cached.length, file.getFileName());
        return cached;
      }
    }
    float[][] vectors = new float[items.size()][];
    Progress progress = new Progress("encode " + what, items.size(), out);
    try (EncoderSession<I> s = session.get()) {
      for (int i = 0; i < items.size(); i += 32) {
        List<I> batch = new ArrayList<>();
        for (T item : items.subList(i, Math.min(items.size(), i + 32))) {
          batch.add(prepare.apply(item));
        }
        float[][] v = s.encode(batch);
        System.arraycopy(v, 0, vectors, i, v.length);
        progress.advance(v.length);
      }
    }
    progress.finish();
    write(file, vectors);
    return vectors;
  }

  private static String key(List<String> ids) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (String id : ids) {
        md.update(id.getBytes(StandardCharsets.UTF_8));
        md.update((byte) 0);
      }
      return HexFormat.of().formatHex(md.digest()).substring(0, 24);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static float[][] read(Path file, int expected) {
    try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file)))) {
      if (in.readInt() != MAGIC) {
        return null;
      }
      int n = in.readInt();
      int d = in.readInt();
      if (n != expected) {
        return null;
      }
      byte[] row = new byte[d * 4];
      float[][] out = new float[n][d];
      for (int i = 0; i < n; i++) {
        in.readFully(row);
        ByteBuffer.wrap(row).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out[i]);
      }
      return out;
    } catch (IOException e) {
      return null;
    }
  }

  private static void write(Path file, float[][] vectors) {
    try {
      Files.createDirectories(file.getParent());
      Path tmp = Files.createTempFile(file.getParent(), "part", ".tmp");
      int d = vectors.length == 0 ? 0 : vectors[0].length;
      try (DataOutputStream o = new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(tmp)))) {
        o.writeInt(MAGIC);
        o.writeInt(vectors.length);
        o.writeInt(d);
        ByteBuffer b = ByteBuffer.allocate(d * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float[] v : vectors) {
          b.clear();
          b.asFloatBuffer().put(v);
          o.write(b.array());
        }
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the embedding cache " + file, e);
    }
  }
}
