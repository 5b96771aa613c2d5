package io.xmodal.learned;

import java.util.Random;

/**
 * {@link Random}'s generator (the same 48-bit linear congruential sequence, so the same seed draws the same numbers)
 * without its atomic compare-and-set per draw, for one thread: training draws one number per input value for its
 * dropout masks (over a million a step), and the atomic update took half the training thread's Java time.
 */
final class SequentialRandom extends Random {

  private static final long MULTIPLIER = 0x5DEECE66DL;
  private static final long ADDEND = 0xBL;
  private static final long MASK = (1L << 48) - 1;

  // set by Random's constructor through setSeed, before this class's fields would be initialised: no initialiser
  private long state;

  SequentialRandom(long seed) {
    super(seed);
  }

  @Override
  public void setSeed(long seed) {
    super.setSeed(seed);
    state = (seed ^ MULTIPLIER) & MASK;
  }

  @Override
  protected int next(int bits) {
    state = (state * MULTIPLIER + ADDEND) & MASK;
    return (int) (state >>> (48 - bits));
  }
}
