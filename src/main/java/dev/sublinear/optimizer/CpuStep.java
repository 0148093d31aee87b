package dev.sublinear.optimizer;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * One Adafactor step on the CPU through the fused kernels: the same equations as the engine-op
 * path, in three passes over the gradient and one over the weight. Small vectors (R, C and their
 * reciprocal square roots) are handled here in Java.
 *
 * <p>One thread: PyTorch's OpenMP worker keeps spinning on the other cores after its own
 * operations, so rows split across threads compete with it and the step gets slower, not faster.
 */
final class CpuStep {

    private CpuStep() {}

    /** Whether this parameter can take the fused path: float32 PyTorch arrays on the CPU. */
    static boolean applies(NDArray weight, NDArray grad) {
        return CpuKernels.available()
                && weight instanceof PtNDArray
                && grad instanceof PtNDArray
                && weight.getDevice().equals(Device.cpu())
                && grad.getDevice().equals(Device.cpu())
                && weight.getDataType() == DataType.FLOAT32
                && grad.getDataType() == DataType.FLOAT32
                && weight.size() > 0
                && weight.size() * Float.BYTES <= Integer.MAX_VALUE;
    }

    /** Buffer over the weight's own memory, or null when DJL would hand out a copy (non-contiguous). */
    static ByteBuffer writableView(NDArray weight) {
        ByteBuffer first = weight.toByteBuffer(true);
        ByteBuffer second = weight.toByteBuffer(true);
        return CpuKernels.address(first) == CpuKernels.address(second) ? first : null;
    }

    /** The scalars of one step, fixed before the passes that use them. */
    record Scalars(float scale, float clip, float beta2, float eps1) {}

    /** Runs the step; returns {alpha, RMS(U)}. */
    static float[] run(
            ByteBuffer x, NDArray grad, ParameterState state, Scalars s, float rho, AdafactorOptions options) {
        ByteBuffer g = grad.toByteBuffer(true);
        ByteBuffer momentum = state.hasMomentum ? state.momentum().toByteBuffer(true) : null;
        Shape shape = state.shape;
        ByteBuffer xForRms = options.scaleParameter() ? x : null;
        if (state.factored) {
            return factored(x, g, xForRms, momentum, state, shape, s, rho, options);
        }
        return full(x, g, xForRms, momentum, state, shape.size(), s, rho, options);
    }

    private static float[] factored(
            ByteBuffer x,
            ByteBuffer g,
            ByteBuffer xForRms,
            ByteBuffer momentum,
            ParameterState state,
            Shape shape,
            Scalars s,
            float rho,
            AdafactorOptions options) {
        int rank = shape.dimension();
        long n = shape.get(rank - 2);
        long m = shape.get(rank - 1);
        long rows = shape.size() / m;
        long batches = rows / n;
        CpuWorkspace w = state.workspace(rows, batches * m);

        // Pass 1: row and column sums of G^2, and the sum of X^2 for the parameter scale.
        zero(w.columnSquares);
        double xSquares =
                CpuKernels.squareSums(g, xForRms, w.rowSquares, w.columnSquares, 0, rows, n, m, s.scale(), s.clip());

        // R and C: moving averages of the sums of G^2 + eps1; then 1/sqrt(V) as row x column factors.
        FloatBuffer r = floats(state.arrays().get(0).toByteBuffer(true));
        FloatBuffer c = floats(state.arrays().get(1).toByteBuffer(true));
        movingAverage(r, floats(w.rowSquares), s.beta2(), s.eps1() * m);
        movingAverage(c, floats(w.columnSquares), s.beta2(), s.eps1() * n);
        FloatBuffer rowFactors = floats(w.rowFactors);
        FloatBuffer columnFactors = floats(w.columnFactors);
        for (long b = 0; b < batches; b++) {
            double sumR = 0;
            for (long i = b * n; i < (b + 1) * n; i++) {
                float ri = r.get((int) i);
                sumR += ri;
                rowFactors.put((int) i, (float) (1.0 / Math.sqrt(ri)));
            }
            for (long j = b * m; j < (b + 1) * m; j++) {
                columnFactors.put((int) j, (float) Math.sqrt(sumR / c.get((int) j)));
            }
        }

        // Pass 2: RMS(U) from the factors, without storing U.
        double uSquares =
                CpuKernels.factoredUpdateSquares(g, w.rowFactors, w.columnFactors, 0, rows, n, m, s.scale(), s.clip());
        float[] k = scaling(xSquares, uSquares, shape.size(), rho, options);

        // Pass 3: X = (1 - wd alpha) X - S.
        CpuKernels.factoredApply(
                x,
                g,
                w.rowFactors,
                w.columnFactors,
                momentum,
                0,
                rows,
                n,
                m,
                s.scale(),
                s.clip(),
                k[2],
                k[3],
                options.beta1());
        return new float[] {k[0], k[1]};
    }

    private static float[] full(
            ByteBuffer x,
            ByteBuffer g,
            ByteBuffer xForRms,
            ByteBuffer momentum,
            ParameterState state,
            long size,
            Scalars s,
            float rho,
            AdafactorOptions options) {
        ByteBuffer v = state.arrays().get(0).toByteBuffer(true);
        // Pass 1: V and, in the same pass, the sums of U^2 and of X^2.
        double[] sums = new double[2];
        CpuKernels.fullAccumulate(g, xForRms, v, sums, 0, size, s.scale(), s.clip(), s.beta2(), s.eps1());
        float[] k = scaling(sums[1], sums[0], size, rho, options);
        // Pass 2: X = (1 - wd alpha) X - S.
        CpuKernels.fullApply(x, g, v, momentum, 0, size, s.scale(), s.clip(), k[2], k[3], options.beta1());
        return new float[] {k[0], k[1]};
    }

    /** {alpha, RMS(U), k, decay}: S = k U with k = alpha / max(1, RMS(U)/d) (times 1 - beta1). */
    private static float[] scaling(double xSquares, double uSquares, long size, float rho, AdafactorOptions o) {
        float alpha = o.alpha(xSquares, size, rho);
        float updateRms = (float) Math.sqrt(uSquares / size);
        float k = alpha / Math.max(1f, updateRms / o.clipThreshold());
        if (o.beta1() > 0f) {
            k *= 1f - o.beta1();
        }
        float decay = 1f - o.weightDecay() * alpha;
        return new float[] {alpha, updateRms, k, decay};
    }

    private static void movingAverage(FloatBuffer state, FloatBuffer squares, float beta2, float eps) {
        float rest = 1f - beta2;
        for (int i = 0; i < state.limit(); i++) {
            state.put(i, beta2 * state.get(i) + rest * (squares.get(i) + eps));
        }
    }

    private static void zero(ByteBuffer buffer) {
        FloatBuffer f = floats(buffer);
        for (int i = 0; i < f.limit(); i++) {
            f.put(i, 0f);
        }
    }

    private static FloatBuffer floats(ByteBuffer buffer) {
        return buffer.duplicate().order(ByteOrder.nativeOrder()).asFloatBuffer();
    }
}
