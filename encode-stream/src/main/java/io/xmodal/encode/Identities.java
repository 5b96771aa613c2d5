package io.xmodal.encode;

import io.xmodal.encoders.EncoderInfo;
import io.xmodal.schemas.EncoderBlock;
import io.xmodal.schemas.EncoderIdentity;

/** Encoder identity as it travels in events: a composite's blocks and rule included. */
final class Identities {

  private Identities() {}

  static EncoderIdentity of(EncoderInfo info) {
    return EncoderIdentity.newBuilder().setName(info.name()).setVersion(info.version()).setDimension(info.dimension())
        .setChecksum(info.checksum())
        .setBlocks(info.blocks().isEmpty() ? null : info.blocks().stream().map(b -> EncoderBlock.newBuilder().setName(b.name()).setVersion(b.version())
            .setDimension(b.dimension()).setChecksum(b.checksum()).build()).toList())
        .setCombination(info.combination())
        .build();
  }
}
