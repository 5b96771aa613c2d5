package io.xmodal.trainer;

import io.xmodal.mapping.refit.Refit;
import io.xmodal.schemas.EncoderIdentity;
import io.xmodal.schemas.MappingModel;

/**
 * What one refit produced, handed from the fit thread to the stream thread: the refit's result, the live version it
 * was compared with (null if none), the encoders of the pairs it fitted — or why it failed.
 */
record FitResult(Refit.Result result, MappingModel live, EncoderIdentity textEncoder, EncoderIdentity imageEncoder,
                 Throwable failure) {

  static FitResult failed(Throwable t) {
    return new FitResult(null, null, null, null, t);
  }
}
