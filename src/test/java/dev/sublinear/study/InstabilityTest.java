package dev.sublinear.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class InstabilityTest {

    /** A noisy, steadily falling curve from 5 to about 0.05. */
    private static float[] smoothCurve(int steps, long seed) {
        Random random = new Random(seed);
        float[] losses = new float[steps];
        for (int i = 0; i < steps; i++) {
            double base = 0.05 + 5 * Math.exp(-i / 150.0);
            losses[i] = (float) (base * (1 + 0.10 * random.nextGaussian()));
        }
        return losses;
    }

    @Test
    void aNoisyFallingCurveHasNoSpikes() {
        Instability i = Instability.of(smoothCurve(1200, 1));
        assertEquals(0, i.spikes(), i.toString());
        assertEquals(0, i.firstSpike());
    }

    @Test
    void findsASpikeAndWhereItStarts() {
        float[] losses = smoothCurve(1200, 2);
        losses[700] = 2.0f; // from about 0.1: 20x and almost 2 nats
        losses[701] = 1.2f;
        Instability i = Instability.of(losses);
        assertEquals(2, i.spikes(), i.toString());
        assertEquals(701, i.firstSpike());
        assertTrue(i.worstRatio() > 15, i.toString());
    }

    @Test
    void aDoublingOfATinyLossIsNotASpike() {
        float[] losses = smoothCurve(1200, 3);
        losses[900] = losses[899] * 2.5f; // about 0.13: under the 0.3-nat floor
        assertEquals(0, Instability.of(losses).spikes());
    }

    @Test
    void earlyNoiseOfAHighLossIsNotASpike() {
        float[] losses = new float[100];
        for (int i = 0; i < losses.length; i++) {
            losses[i] = 5f;
        }
        losses[50] = 6.5f; // +1.5 nats but only 1.3x
        assertEquals(0, Instability.of(losses).spikes());
    }
}
