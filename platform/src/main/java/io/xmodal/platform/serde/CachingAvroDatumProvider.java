package io.xmodal.platform.serde;

import io.apicurio.registry.serde.avro.DefaultAvroDatumProvider;
import java.io.IOException;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.Decoder;
import org.apache.avro.specific.SpecificData;

/**
 * Apicurio's datum provider with one reader per writer schema and thread, instead of one per record. Apicurio's
 * deserializer asks its provider for a new {@code SpecificDatumReader} for every record, and Avro's fast reader then
 * builds that reader's decoding plan again ({@code FastReaderBuilder.getReaderFor}: an eighth of encode-stream's
 * caption thread in a profile). Apicurio keeps one parsed schema per schema id for as long as it caches the id (for good
 * here, see {@link RegistryAvroSerdes#SCHEMA_CACHE_LIFETIME}), so the writer schema's identity is the key. A reader is
 * kept per thread: Avro does not promise that one reader may decode on several threads at once. Should the schema
 * instances ever keep changing, the map is emptied past {@link #MAX_READERS} so it cannot grow without bound.
 *
 * <p>A read that fails is explained: when the writer's schema is one xmodal's reader cannot resolve (checked only
 * then, with Avro's {@code SchemaCompatibility}), the failure becomes an {@link IncompatibleSchemaException} naming
 * what and which fields; a failure with compatible schemas (a body that does not match its schema) is left as it is.
 */
public final class CachingAvroDatumProvider<T> extends DefaultAvroDatumProvider<T> {

  static final int MAX_READERS = 64;

  private final ThreadLocal<Map<Schema, DatumReader<T>>> readers = ThreadLocal.withInitial(IdentityHashMap::new);

  @Override
  public DatumReader<T> createDatumReader(Schema schema) {
    Map<Schema, DatumReader<T>> mine = readers.get();
    DatumReader<T> reader = mine.get(schema);
    if (reader == null) {
      if (mine.size() >= MAX_READERS) {
        mine.clear();
      }
      reader = new Explaining<>(readerFor(schema), schema);
      mine.put(schema, reader);
    }
    return reader;
  }

  private DatumReader<T> readerFor(Schema writer) {
    try {
      return super.createDatumReader(writer);
    } catch (RuntimeException e) {
      if (writer.getType() == Schema.Type.RECORD && SpecificData.get().getClass(writer) == null) {
        throw new IncompatibleSchemaException(writer.getFullName(), "any xmodal event", List.of(
            new IncompatibleSchemaException.Problem("NAME_MISMATCH", "/name", "", "xmodal reads no record named "
                + writer.getFullName() + "; keep the documented schema's name and namespace (io.xmodal.schemas)")), e);
      }
      throw e;
    }
  }

  /** Reads as {@code inner}; when that fails, says whether the writer's schema was the cause. */
  private static final class Explaining<T> implements DatumReader<T> {
    private final DatumReader<T> inner;
    private final Schema writer;
    private List<IncompatibleSchemaException.Problem> problems;

    Explaining(DatumReader<T> inner, Schema writer) {
      this.inner = inner;
      this.writer = writer;
    }

    @Override
    public void setSchema(Schema schema) {
      inner.setSchema(schema);
    }

    @Override
    public T read(T reuse, Decoder in) throws IOException {
      try {
        return inner.read(reuse, in);
      } catch (IOException | RuntimeException e) {
        Schema reader = readerSchema();
        if (reader != null) {
          if (problems == null) {
            problems = IncompatibleSchemaException.problems(reader, writer);
          }
          if (!problems.isEmpty()) {
            throw new IncompatibleSchemaException(writer.getFullName(), reader.getFullName(), problems, e);
          }
        }
        throw e;
      }
    }

    private Schema readerSchema() {
      Class<?> type = SpecificData.get().getClass(writer);
      return type == null ? null : SpecificData.get().getSchema(type);
    }
  }
}
