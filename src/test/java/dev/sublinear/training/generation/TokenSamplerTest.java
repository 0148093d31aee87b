package dev.sublinear.training.generation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Sampling on distributions whose answer is worked out by hand: probabilities 0.05, 0.5, 0.15, 0.3
 * (ids 0..3). Nucleus by top_p, most likely first: 0.5 (id 1); then 0.8 (ids 1, 3); then 0.95; then 1.
 */
class TokenSamplerTest {

    private static final float[] LOGITS = {
        (float) Math.log(0.05), (float) Math.log(0.5), (float) Math.log(0.15), (float) Math.log(0.3)
    };

    @Test
    void temperatureZeroPicksTheArgmax() {
        TokenSampler sampler = new TokenSampler(0, 1, 1);
        for (int i = 0; i < 20; i++) {
            assertEquals(1, sampler.pick(LOGITS));
        }
    }

    @Test
    void topPKeepsTheSmallestMostLikelySetThatReachesIt() {
        assertEquals(Set.of(1), drawn(0.3, 500));
        assertEquals(Set.of(1), drawn(0.5, 500));
        assertEquals(Set.of(1, 3), drawn(0.6, 2000));
        assertEquals(Set.of(1, 3), drawn(0.79, 2000));
        assertEquals(Set.of(1, 2, 3), drawn(0.9, 4000));
        assertEquals(Set.of(0, 1, 2, 3), drawn(0.96, 4000));
        assertEquals(Set.of(0, 1, 2, 3), drawn(1.0, 4000));
        assertArrayEquals(new boolean[] {false, true, false, true}, TokenSampler.nucleus(probabilities(), 0.7));
    }

    @Test
    void keptTokensAreDrawnInProportionToTheirProbability() {
        // top_p 0.7 keeps ids 1 and 3: renormalised 0.5 / 0.8 = 0.625 and 0.375
        TokenSampler sampler = new TokenSampler(1, 0.7, 42);
        int draws = 20_000;
        int ones = 0;
        for (int i = 0; i < draws; i++) {
            int id = sampler.pick(LOGITS);
            assertThat(id).isIn(1, 3);
            ones += id == 1 ? 1 : 0;
        }
        assertThat(ones / (double) draws).isBetween(0.61, 0.64);
    }

    @Test
    void temperatureSharpensAndFlattens() {
        // at T = 0.5 the weights are p^2: 0.0025, 0.25, 0.0225, 0.09, normalised by 0.365
        double[] sharp = TokenSampler.probabilities(LOGITS, 0.5);
        assertEquals(0.25 / 0.365, sharp[1], 1e-6);
        assertEquals(0.09 / 0.365, sharp[3], 1e-6);
        TokenSampler sampler = new TokenSampler(0.5, 1, 9);
        int draws = 20_000;
        int ones = 0;
        for (int i = 0; i < draws; i++) {
            ones += sampler.pick(LOGITS) == 1 ? 1 : 0;
        }
        assertThat(ones / (double) draws).isBetween(0.25 / 0.365 - 0.015, 0.25 / 0.365 + 0.015);
    }

    @Test
    void theSameSeedDrawsTheSameTokens() {
        TokenSampler a = new TokenSampler(1, 0.9, 5);
        TokenSampler b = new TokenSampler(1, 0.9, 5);
        for (int i = 0; i < 100; i++) {
            assertEquals(a.pick(LOGITS), b.pick(LOGITS));
        }
    }

    @Test
    void logSoftmaxAndTopAreTheHandComputedOnes() {
        double[] logProbs = TokenSampler.logSoftmax(LOGITS);
        assertEquals(Math.log(0.5), logProbs[1], 1e-6);
        assertEquals(Math.log(0.05), logProbs[0], 1e-6);
        assertArrayEquals(new int[] {1, 3, 2}, TokenSampler.top(logProbs, 3));
        assertArrayEquals(new int[] {1, 3, 2, 0}, TokenSampler.top(LOGITS, 9));
        assertArrayEquals(new int[0], TokenSampler.top(LOGITS, 0));
    }

    private static double[] probabilities() {
        return new double[] {0.05, 0.5, 0.15, 0.3};
    }

    private static Set<Integer> drawn(double topP, int draws) {
        TokenSampler sampler = new TokenSampler(1, topP, 1234);
        Set<Integer> seen = new TreeSet<>();
        for (int i = 0; i < draws; i++) {
            seen.add(sampler.pick(LOGITS));
        }
        return seen;
    }
}
