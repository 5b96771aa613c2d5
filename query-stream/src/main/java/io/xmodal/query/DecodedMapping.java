package io.xmodal.query;

import io.xmodal.mapping.CrossModalMap;
import io.xmodal.mapping.codec.MappingCodec;
import io.xmodal.schemas.MappingModel;

/** A published mapping version, decoded once: its map and hubness reference queries. */
record DecodedMapping(long version, CrossModalMap map, MappingCodec.References references, MappingModel model) {

  static DecodedMapping of(MappingModel model) {
    return new DecodedMapping(model.getVersion(), MappingCodec.fromAvro(model), MappingCodec.references(model), model);
  }
}
