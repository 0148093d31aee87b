package dev.sublinear.training.generation;

import java.util.Arrays;
import java.util.Comparator;
import java.util.Random;
import java.util.function.IntToDoubleFunction;
import java.util.stream.IntStream;

/**
 * Picks the next token from logits: the most likely at temperature 0; else a draw from
 * softmax(logits / temperature) restricted to the nucleus, the smallest set of most likely tokens
 * whose probability reaches top_p (transformers' TopPLogitsWarper, which keeps at least one token).
 * The draw walks the kept tokens in id order with one {@link Random#nextDouble()}, so that a seed
 * gives the same tokens every time.
 */
final class TokenSampler {

    private final double temperature;
    private final double topP;
    private final Random random;

    TokenSampler(double temperature, double topP, long seed) {
        this.temperature = temperature;
        this.topP = topP;
        this.random = new Random(seed);
    }

    int pick(float[] logits) {
        if (temperature <= 0) {
            return argmax(logits);
        }
        double[] weights = probabilities(logits, temperature);
        if (topP < 1) {
            boolean[] kept = nucleus(weights, topP);
            for (int i = 0; i < weights.length; i++) {
                if (!kept[i]) {
                    weights[i] = 0;
                }
            }
        }
        double total = 0;
        for (double w : weights) {
            total += w;
        }
        double draw = random.nextDouble() * total;
        int last = 0;
        for (int i = 0; i < weights.length; i++) {
            if (weights[i] > 0) {
                last = i;
                draw -= weights[i];
                if (draw <= 0) {
                    return i;
                }
            }
        }
        return last;
    }

    /** softmax(logits / temperature), in double. */
    static double[] probabilities(float[] logits, double temperature) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double[] p = new double[logits.length];
        double total = 0;
        for (int i = 0; i < logits.length; i++) {
            p[i] = Math.exp((logits[i] - max) / temperature);
            total += p[i];
        }
        for (int i = 0; i < p.length; i++) {
            p[i] /= total;
        }
        return p;
    }

    /**
     * The tokens of the nucleus: most likely first, added until their probability together reaches
     * {@code topP}; the most likely token always.
     */
    static boolean[] nucleus(double[] probabilities, double topP) {
        Integer[] order = IntStream.range(0, probabilities.length).boxed().toArray(Integer[]::new);
        Arrays.sort(
                order,
                Comparator.comparingDouble((Integer i) -> probabilities[i]).reversed());
        boolean[] kept = new boolean[probabilities.length];
        double mass = 0;
        for (int i : order) {
            kept[i] = true;
            mass += probabilities[i];
            if (mass >= topP) {
                break;
            }
        }
        return kept;
    }

    static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }

    /** log_softmax of the logits, in double. */
    static double[] logSoftmax(float[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double total = 0;
        for (float l : logits) {
            total += Math.exp(l - max);
        }
        double log = max + Math.log(total);
        double[] out = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            out[i] = logits[i] - log;
        }
        return out;
    }

    /** The {@code k} largest entries' indices, largest first (ties: the lower id first). */
    static int[] top(double[] values, int k) {
        return top(i -> values[i], values.length, k);
    }

    static int[] top(float[] values, int k) {
        return top(i -> values[i], values.length, k);
    }

    private static int[] top(IntToDoubleFunction value, int size, int k) {
        int n = Math.max(0, Math.min(k, size));
        int[] best = new int[n];
        if (n == 0) {
            return best;
        }
        int count = 0;
        for (int i = 0; i < size; i++) {
            double v = value.applyAsDouble(i);
            if (count < n) {
                count++;
            } else if (v <= value.applyAsDouble(best[n - 1])) {
                continue;
            }
            int at = count - 1;
            while (at > 0 && value.applyAsDouble(best[at - 1]) < v) {
                best[at] = best[at - 1];
                at--;
            }
            best[at] = i;
        }
        return best;
    }
}
