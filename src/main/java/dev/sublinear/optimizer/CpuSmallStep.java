package dev.sublinear.optimizer;

import ai.djl.ndarray.NDArray;

/**
 * Adafactor's step for a small parameter with a full second moment V (a bias, a norm's scale) in
 * float32 on the CPU without the fused kernels: the paper's algorithm 5 as plain arithmetic on the
 * host, over the arrays' own memory.
 *
 * <p>Why: such a parameter has a few hundred elements, and on the CPU every engine operation costs
 * microseconds whatever its size (one that makes a new array 4-10 us). lm-small's fifty vectors
 * took about 1.4 ms a step as batched engine operations ({@link BatchStep}: concatenations, a few
 * dozen operations a batch, a split and a subtraction per parameter); here each costs a pass over
 * its few hundred elements. On a GPU they stay batched on the device. The arithmetic is the engine
 * path's, operation for operation, in float32; the sums are in double.
 */
final class CpuSmallStep {

    /** The step's scalars: the gradient's rescaling and clipping (0: none), rho_t and beta2_t. */
    record Scalars(float rescale, float clip, float rho, float beta2) {}

    private CpuSmallStep() {}

    /** Whether this step applies: an unfactored parameter of at most {@code limit} elements, all on the host. */
    static boolean applies(NDArray weight, NDArray gradient, ParameterState state, int limit) {
        return EngineSupport.hostArithmetic()
                && !state.factored
                && weight.size() > 0
                && weight.size() <= limit
                && EngineSupport.hostReadable(weight)
                && EngineSupport.hostReadable(gradient)
                && state.arrays().stream().allMatch(EngineSupport::hostReadable);
    }

    /**
     * X = X - (weightDecay alpha_t X + S) in place, S = k U or the momentum of it; V (and M) updated
     * in place; the gradient is only read.
     *
     * @return {alpha_t, RMS(U)}
     */
    static float[] run(NDArray weight, NDArray gradient, ParameterState state, Scalars s, AdafactorOptions options) {
        int size = Math.toIntExact(weight.size());
        float[] g = read(gradient, size);
        float gradScale = s.rescale();
        if (s.clip() > 0f) {
            for (int i = 0; i < size; i++) {
                g[i] = Math.max(-s.clip(), Math.min(s.clip(), g[i] * s.rescale()));
            }
            gradScale = 1f;
        }
        // V = beta2 V + (rest s^2 G^2 + rest eps1); U = s G / sqrt(V)
        NDArray v = state.arrays().get(0);
        float[] second = read(v, size);
        float rest = 1f - s.beta2();
        float squareWeight = rest * gradScale * gradScale;
        float constant = rest * options.epsilon1();
        float[] u = g; // overwritten element by element
        double sumU = 0;
        for (int i = 0; i < size; i++) {
            second[i] = s.beta2() * second[i] + (squareWeight * (g[i] * g[i]) + constant);
            float scaled = (float) (1 / Math.sqrt(second[i])) * g[i];
            u[i] = gradScale == 1f ? scaled : scaled * gradScale;
            sumU += (double) u[i] * u[i];
        }
        write(v, second);

        float[] x = read(weight, size);
        float invSize = 1f / size;
        float updateRms = (float) Math.sqrt(sumU * invSize);
        float alpha = s.rho();
        if (options.scaleParameter()) {
            double sumX = 0;
            for (float value : x) {
                sumX += (double) value * value;
            }
            alpha = Math.max(options.epsilon2(), (float) Math.sqrt(sumX * invSize)) * s.rho();
        }
        float k = alpha / Math.max(1f, updateRms / options.clipThreshold()); // alpha_t / max(1, RMS(U) / d)
        if (state.hasMomentum) {
            k *= 1f - options.beta1();
        }
        float[] delta = u; // S = k U, then M, then the decay added
        for (int i = 0; i < size; i++) {
            delta[i] = k * u[i];
        }
        if (state.hasMomentum) {
            NDArray momentum = state.arrays().get(1);
            float[] averaged = read(momentum, size);
            for (int i = 0; i < size; i++) {
                averaged[i] = averaged[i] * options.beta1() + delta[i]; // M = beta1 M + (1 - beta1) S
                delta[i] = averaged[i];
            }
            write(momentum, averaged);
        }
        float decay = alpha * options.weightDecay();
        for (int i = 0; i < size; i++) {
            x[i] -= options.weightDecay() > 0f ? delta[i] + x[i] * decay : delta[i];
        }
        write(weight, x);
        return new float[] {alpha, updateRms};
    }

    private static float[] read(NDArray array, int size) {
        float[] values = new float[size];
        EngineSupport.hostView(array).get(values);
        return values;
    }

    private static void write(NDArray array, float[] values) {
        EngineSupport.hostView(array).put(values);
    }
}
