package io.xmodal.trainer;

import io.xmodal.mapping.ModelSearch;
import io.xmodal.mapping.Recall;
import io.xmodal.schemas.EncoderIdentity;
import io.xmodal.schemas.MappingModel;
import java.util.List;

/**
 * What one refit produced: every family's best candidate scored on the held-out pairs, the live version scored on the
 * same pairs, and the learned maps' training; the trainer publishes the best candidate that fits a record if it passes
 * the quality gate (not worse than the live version).
 */
record FitResult(List<ModelSearch.Candidate> candidates, MappingModel live,
                 Recall.Result liveRecall, long pairsUsed, int heldOutImages, EncoderIdentity textEncoder,
                 EncoderIdentity imageEncoder, org.nd4j.linalg.api.ndarray.INDArray referenceText,
                 org.nd4j.linalg.api.ndarray.INDArray referenceImages, double seconds,
                 List<io.xmodal.learned.LearnedSearch.Trained> learned, Throwable failure) {

  /** The quality gate: a candidate replaces the live mapping only if its held-out rsum is not worse. */
  static boolean passesGate(Recall.Result candidate, Recall.Result live) {
    return live == null || candidate.rsum() >= live.rsum();
  }

  static FitResult failed(Throwable t) {
    return new FitResult(List.of(), null, null, 0, 0, null, null, null, null, 0, List.of(), t);
  }
}
