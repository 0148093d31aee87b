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

    /** What the step needs to know of the options. */
    interface Options {
        float alpha(double sumSquaresOfX, long size, float rho);

        float clipThreshold();

        float beta1();

        float weightDecay();

        boolean scaleParameter();
    }

    /** Runs the step; returns {alpha, RMS(U)}. */
    static float[] run(
            ByteBuffer x, NDArray grad, ParameterState state, Scalars s, float rho, Options options) {
        ByteBuffer g = grad.toByteBuffer(true);
        ByteBuffer momentum = state.momentum == null ? null : state.momentum.toByteBuffer(true);
        Shape shape = state.shape;
        ByteBuffer xForRms = options.scaleParameter() ? x : null;
        if (state.secondMoment.factored()) {
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
            Options options) {
        int rank = shape.dimension();
        long n = shape.get(rank - 2);
        long m = shape.get(rank - 1);
        long rows = shape.size() / m;
        long batches = rows / n;
        Workspace w = state.workspace(rows, batches * m, RowParallel.chunks(rows, m));

        // Pass 1: row and column sums of G^2 (and sum of X^2), one column partial per chunk.
        double[] xSquares = new double[w.columnPartials.length];
        RowParallel.run(
                rows,
                m,
                (chunk, from, to) -> {
                    ByteBuffer partial = w.columnPartials[chunk];
                    zero(partial);
                    xSquares[chunk] =
                            CpuKernels.squareSums(
                                    g, xForRms, w.rowSquares, partial, from, to, n, m, s.scale(), s.clip());
                });
        FloatBuffer columnSquares = mergeColumns(w);

        // R and C: moving averages of the sums of G^2 + eps1; then 1/sqrt(V) as row x column factors.
        FloatBuffer r = floats(state.secondMoment.arrays().get(0).toByteBuffer(true));
        FloatBuffer c = floats(state.secondMoment.arrays().get(1).toByteBuffer(true));
        movingAverage(r, floats(w.rowSquares), s.beta2(), s.eps1() * m);
        movingAverage(c, columnSquares, s.beta2(), s.eps1() * n);
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
        double[] uSquares = new double[w.columnPartials.length];
        RowParallel.run(
                rows,
                m,
                (chunk, from, to) ->
                        uSquares[chunk] =
                                CpuKernels.factoredUpdateSquares(
                                        g, w.rowFactors, w.columnFactors, from, to, n, m, s.scale(), s.clip()));
        float[] k = scaling(sum(xSquares), sum(uSquares), shape.size(), rho, options);

        // Pass 3: X = (1 - wd alpha) X - S.
        RowParallel.run(
                rows,
                m,
                (chunk, from, to) ->
                        CpuKernels.factoredApply(
                                x, g, w.rowFactors, w.columnFactors, momentum, from, to, n, m,
                                s.scale(), s.clip(), k[2], k[3], options.beta1()));
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
            Options options) {
        ByteBuffer v = state.secondMoment.arrays().get(0).toByteBuffer(true);
        int chunks = RowParallel.chunks(size, 1);
        double[][] sums = new double[chunks][2];
        // Pass 1: V and, in the same pass, sum of U^2 and of X^2.
        RowParallel.run(
                size,
                1,
                (chunk, from, to) ->
                        CpuKernels.fullAccumulate(
                                g, xForRms, v, sums[chunk], from, to, s.scale(), s.clip(), s.beta2(), s.eps1()));
        double uSquares = 0;
        double xSquares = 0;
        for (double[] part : sums) {
            uSquares += part[0];
            xSquares += part[1];
        }
        float[] k = scaling(xSquares, uSquares, size, rho, options);
        // Pass 2: X = (1 - wd alpha) X - S.
        RowParallel.run(
                size,
                1,
                (chunk, from, to) ->
                        CpuKernels.fullApply(
                                x, g, v, momentum, from, to, s.scale(), s.clip(), k[2], k[3], options.beta1()));
        return new float[] {k[0], k[1]};
    }

    /** {alpha, RMS(U), k, decay}: S = k U with k = alpha / max(1, RMS(U)/d) (times 1 - beta1). */
    private static float[] scaling(double xSquares, double uSquares, long size, float rho, Options o) {
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

    private static FloatBuffer mergeColumns(Workspace w) {
        FloatBuffer total = floats(w.columnPartials[0]);
        for (int p = 1; p < w.columnPartials.length; p++) {
            FloatBuffer part = floats(w.columnPartials[p]);
            for (int j = 0; j < total.limit(); j++) {
                total.put(j, total.get(j) + part.get(j));
            }
        }
        return total;
    }

    private static double sum(double[] parts) {
        double total = 0;
        for (double p : parts) {
            total += p;
        }
        return total;
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

    /** Direct buffers the factored kernels work in, kept with the parameter's state. */
    static final class Workspace {
        final ByteBuffer rowSquares;
        final ByteBuffer rowFactors;
        final ByteBuffer columnFactors;
        final ByteBuffer[] columnPartials;

        Workspace(long rows, long columns, int chunks) {
            rowSquares = allocate(rows);
            rowFactors = allocate(rows);
            columnFactors = allocate(columns);
            columnPartials = new ByteBuffer[chunks];
            for (int i = 0; i < chunks; i++) {
                columnPartials[i] = allocate(columns);
            }
        }

        boolean fits(long rows, long columns, int chunks) {
            return rowSquares.capacity() == rows * Float.BYTES
                    && columnFactors.capacity() == columns * Float.BYTES
                    && columnPartials.length == chunks;
        }

        long bytes() {
            return rowSquares.capacity()
                    + rowFactors.capacity()
                    + columnFactors.capacity()
                    + (long) columnPartials.length * columnFactors.capacity();
        }

        private static ByteBuffer allocate(long floats) {
            return ByteBuffer.allocateDirect(Math.toIntExact(floats * Float.BYTES)).order(ByteOrder.nativeOrder());
        }
    }
}
