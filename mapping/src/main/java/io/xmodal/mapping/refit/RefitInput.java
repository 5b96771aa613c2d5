package io.xmodal.mapping.refit;

import io.xmodal.mapping.EvalSet;
import io.xmodal.mapping.SufficientStats;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A training set's state at one moment, for a refit: the training pairs' statistics, the held-out pairs to score
 * on, the hubness reference queries (null when there are none), and the sampled training rows {text, image} for the
 * learned maps (null when they are off).
 */
public record RefitInput(SufficientStats stats, EvalSet validation, INDArray referenceText, INDArray referenceImages,
                         float[][][] learnedRows) {}
