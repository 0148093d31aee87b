package dev.sublinear.study;

import java.util.Arrays;

/**
 * Loss spikes in a training curve: a step whose loss is more than {@link #RATIO} times the median of
 * the {@link #WINDOW} steps before it and at least {@link #MIN_JUMP} nats above it. Both conditions,
 * because late in training a small loss doubles on a hard batch without anything going wrong, and
 * early a large loss moves by more than a nat from one batch to the next.
 *
 * @param spikes steps that spiked
 * @param worstRatio the largest loss / preceding-median ratio seen (1 when none exceeds it)
 * @param firstSpike the first step that spiked, or 0
 */
public record Instability(int spikes, double worstRatio, int firstSpike) {

    static final int WINDOW = 20;
    static final double RATIO = 1.5;
    static final double MIN_JUMP = 0.3;

    /** Finds the spikes in {@code losses} (index 0 is step 1). */
    public static Instability of(float[] losses) {
        int spikes = 0;
        int first = 0;
        double worst = 1;
        double[] window = new double[WINDOW];
        for (int i = WINDOW; i < losses.length; i++) {
            for (int k = 0; k < WINDOW; k++) {
                window[k] = losses[i - WINDOW + k];
            }
            Arrays.sort(window);
            double median = (window[WINDOW / 2 - 1] + window[WINDOW / 2]) / 2;
            double loss = losses[i];
            if (!Double.isFinite(loss)) {
                continue; // a non-finite loss ends the run; the failure reports it
            }
            double ratio = loss / median;
            worst = Math.max(worst, ratio);
            if (ratio > RATIO && loss - median >= MIN_JUMP) {
                spikes++;
                if (first == 0) {
                    first = i + 1;
                }
            }
        }
        return new Instability(spikes, worst, first);
    }
}
