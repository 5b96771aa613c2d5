package io.xmodal.platform.serde;

import io.apicurio.registry.serde.avro.DefaultAvroDatumProvider;
import java.util.IdentityHashMap;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.io.DatumReader;

/**
 * Apicurio's datum provider with one reader per writer schema and thread, instead of one per record. Apicurio's
 * deserializer asks its provider for a new {@code SpecificDatumReader} for every record, and Avro's fast reader then
 * builds that reader's decoding plan again ({@code FastReaderBuilder.getReaderFor}: an eighth of encode-stream's
 * caption thread in a profile). Apicurio keeps one parsed schema per schema id for as long as it caches the id (for good
 * here, see {@link RegistryAvroSerdes#SCHEMA_CACHE_LIFETIME}), so the writer schema's identity is the key. A reader is
 * kept per thread: Avro does not promise that one reader may decode on several threads at once. Should the schema
 * instances ever keep changing, the map is emptied past {@link #MAX_READERS} so it cannot grow without bound.
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
      reader = super.createDatumReader(schema);
      mine.put(schema, reader);
    }
    return reader;
  }
}
