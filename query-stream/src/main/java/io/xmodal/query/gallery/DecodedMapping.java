package io.xmodal.query.gallery;

import io.xmodal.mapping.CrossModalMap;
import io.xmodal.mapping.codec.MappingCodec;
import io.xmodal.schemas.EncoderKeys;
import io.xmodal.schemas.MappingModel;

/** A published mapping version, decoded once: its map and hubness reference queries. */
public record DecodedMapping(long version, CrossModalMap map, MappingCodec.References references, MappingModel model) {

  public static DecodedMapping of(MappingModel model) {
    return new DecodedMapping(model.getVersion(), MappingCodec.fromAvro(model), MappingCodec.references(model), model);
  }

  /**
   * This version's projection of one gallery, shared through {@code index}: made on first use.
   *
   * @param name   the mapping's name, as queries give it (the index keeps projections by name and version)
   * @param images true for the image gallery (text queries search it), false for the caption gallery
   */
  public ProjectedGallery projection(GalleryIndex index, String name, boolean images) {
    return index.projection(name, version, () -> new ProjectedGallery(index, map, images,
        EncoderKeys.of(images ? model.getImageEncoder() : model.getTextEncoder()),
        images ? references.text() : references.images(), references.mapped()));
  }
}
