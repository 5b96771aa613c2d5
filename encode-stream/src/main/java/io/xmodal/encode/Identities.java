package io.xmodal.encode;

import io.xmodal.encoders.EncoderInfo;
import io.xmodal.schemas.EncoderIdentity;

/** Encoder identity as it travels in events. */
final class Identities {

  private Identities() {}

  static EncoderIdentity of(EncoderInfo info) {
    return EncoderIdentity.newBuilder().setName(info.name()).setVersion(info.version()).setDimension(info.dimension())
        .setChecksum(info.checksum()).build();
  }
}
