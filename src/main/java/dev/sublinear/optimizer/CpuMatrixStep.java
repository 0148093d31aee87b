package dev.sublinear.optimizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;

/**
 * Adafactor's engine-operation step for one float32 matrix without momentum on the CPU, the path a
 * jar without the fused kernels takes: the passes over the full-size arrays are engine operations,
 * in blocks of rows that stay in the cache; the work on the row and column vectors and the step's
 * scalars (R, C, their factors, RMS(X), RMS(U), alpha_t, k) is arithmetic on the host, over the
 * arrays' own memory.
 *
 * <p>Why the host: on the CPU an engine operation that makes a new array cost 4-10 us whatever its
 * size (DJL's wrapper, PyTorch's allocation, the free when the step closes), one in place about
 * 0.5 us, and reading a CPU array's memory costs nothing; the same step as device vectors and
 * device scalars ({@link BatchStep}) made 22 new arrays per matrix, here 5 (three products, a flat
 * view of X and its dot product). On a GPU the vectors and scalars stay on the device (BatchStep),
 * where a read by the host would wait for the stream.
 *
 * <p>From memory, G is read three times (the sums of G^2; RMS(U); the update) and X twice (RMS(X);
 * the update); each block's G^2 is written to the CPU's work buffer and read again from the cache.
 * The arithmetic on R and C is the engine path's, operation for operation, in float32.
 */
final class CpuMatrixStep {

    /**
     * Elements of one block: 2 MiB of float32, so a block and its squares stay in the cache between
     * the operations on it (the passes of one step on 4096 x 1024, one thread: 512-row blocks took
     * 4.3 ms, 1024-row blocks 4.6, 128-row blocks 4.8, the whole matrix at once 5.8). A matrix of up
     * to two blocks is stepped whole: split in two, 1024 x 1024 measured slower, as each block's G^2
     * is then written twice.
     */
    static final long BLOCK_ELEMENTS = 1 << 19;

    private final AdafactorOptions options;
    private final Scratch scratch;
    private final NDManager step;

    /**
     * @param scratch the CPU's work buffer
     * @param step the manager the step's temporaries belong to, closed after the step
     */
    CpuMatrixStep(AdafactorOptions options, Scratch scratch, NDManager step) {
        this.options = options;
        this.scratch = scratch;
        this.step = step;
    }

    /**
     * Whether this step applies: a factored float32 matrix without momentum, whose state the host
     * can work on in place. The weight and gradient are only touched by engine operations.
     */
    static boolean applies(NDArray weight, NDArray gradient, ParameterState state) {
        return EngineSupport.hostArithmetic()
                && state.factored
                && !state.hasMomentum
                && weight.getShape().dimension() == 2
                && weight.getDataType() == DataType.FLOAT32
                && gradient.getDataType() == DataType.FLOAT32
                && state.arrays().stream().allMatch(EngineSupport::hostReadable);
    }

    /**
     * X = (1 - weightDecay alpha_t) X - k R^-1/2 G C', R and C updated in place.
     *
     * @param x the weight, float32 [n, m], updated in place
     * @param g the gradient before {@code gradScale}, float32 [n, m]
     * @param gradientOwned whether G may be overwritten
     * @param r R, [n]
     * @param c C, [m]
     * @param gradScale the factor G is scaled by (1 once clipped)
     * @param rho rho_t
     * @param beta2 beta2_t
     * @return {alpha_t, RMS(U)}
     */
    float[] run(
            NDArray x,
            NDArray g,
            boolean gradientOwned,
            NDArray r,
            NDArray c,
            float gradScale,
            float rho,
            float beta2) {
        int n = Math.toIntExact(g.getShape().get(0));
        int m = Math.toIntExact(g.getShape().get(1));
        long size = (long) n * m;
        long blocks = size <= 2 * BLOCK_ELEMENTS ? 1 : Math.min(n, size / BLOCK_ELEMENTS);
        Blocks b = new Blocks(g, n, (int) ((n + blocks - 1) / blocks));
        b.work = scratch.lend(new Shape(b.blockRows, m), step);
        NDArray onesM = scratch.ones(new Shape(m, 1), step); // [m, 1]: row sums come shaped [rows, 1]

        // pass 1: the row and column sums of G^2, as products by ones (PyTorch's CPU sum over the
        // rows measured 1.6 times the vector-matrix product on 1536 x 384)
        float[] rowSums = new float[n];
        float[] columnSums = new float[m];
        NDArray[] rowArrays = new NDArray[b.count];
        NDArray columns = null;
        for (int i = 0; i < b.count; i++) {
            NDArray squares = b.squares(i);
            rowArrays[i] = squares.matMul(onesM);
            host(rowArrays[i]).get(rowSums, b.start(i), b.rows(i));
            NDArray blockColumns = scratch.ones(new Shape(b.rows(i)), step).matMul(squares);
            if (columns == null) {
                columns = blockColumns;
                host(columns).get(columnSums);
            } else {
                FloatBuffer more = host(blockColumns);
                for (int j = 0; j < m; j++) {
                    columnSums[j] += more.get(j);
                }
            }
        }

        // R and C, in place, and their factors s R^-1/2 and C' = (C / sum R)^-1/2
        float rest = 1f - beta2;
        float squareWeight = rest * gradScale * gradScale;
        float[] rowFactor = rowSums; // overwritten row by row
        double sumR = movingAverage(r, rowSums, beta2, squareWeight, rest * options.epsilon1() * m);
        for (int i = 0; i < n; i++) {
            rowFactor[i] = gradScale / (float) Math.sqrt(rowFactor[i]);
        }
        float[] columnFactor = columnSums;
        movingAverage(c, columnSums, beta2, squareWeight, rest * options.epsilon1() * n);
        float[] columnSquared = new float[m];
        for (int j = 0; j < m; j++) {
            columnFactor[j] = (float) (1 / Math.sqrt(columnFactor[j] / sumR));
            columnSquared[j] = columnFactor[j] * columnFactor[j];
        }
        FloatBuffer columnsOnDevice = host(columns);
        columnsOnDevice.put(columnSquared).rewind();

        // pass 2: RMS(U)^2 = mean of rowFactor_i^2 (G^2 C'^2)_i; one block still holds its G^2, more
        // have it written again
        double sumU = 0;
        float[] rowU = new float[b.blockRows];
        for (int i = 0; i < b.count; i++) {
            host((b.count == 1 ? b.work : b.squares(i)).matMul(columns)).get(rowU, 0, b.rows(i));
            for (int k = 0, row = b.start(i); k < b.rows(i); k++, row++) {
                sumU += (double) rowFactor[row] * rowFactor[row] * rowU[k];
            }
        }
        float invSize = (float) (1.0 / size);
        float updateRms = (float) Math.sqrt(sumU * invSize);
        float alpha = options.scaleParameter() ? Math.max(options.epsilon2(), rms(x, invSize)) * rho : rho;
        float k = alpha / Math.max(1f, updateRms / options.clipThreshold()); // k = alpha_t / max(1, RMS(U) / d)
        for (int i = 0; i < n; i++) {
            rowFactor[i] *= k; // k R^-1/2: the update's row scale
        }
        columnsOnDevice.put(columnFactor);

        // pass 3: X = (1 - weightDecay alpha_t) X - k R^-1/2 G C', block by block; in the gradient's
        // memory when it is owned
        NDArray keep = options.weightDecay() > 0f ? scratch.scalar(1f - options.weightDecay() * alpha) : null;
        for (int i = 0; i < b.count; i++) {
            host(rowArrays[i]).put(rowFactor, b.start(i), b.rows(i));
            NDArray update = (gradientOwned ? b.gradient(i) : b.copy(i)).muli(columns);
            update.muli(rowArrays[i]);
            NDArray weights = b.count == 1 ? x : x.get(b.index(i));
            if (keep != null) {
                weights.muli(keep);
            }
            weights.subi(update);
        }
        return new float[] {alpha, updateRms};
    }

    /**
     * V = beta2 V + (weight s + constant) in place, in float32 as the engine path computes it; s is
     * overwritten with the new V. Returns the sum of the new V.
     */
    private static double movingAverage(NDArray v, float[] s, float beta2, float weight, float constant) {
        FloatBuffer memory = host(v);
        float[] values = new float[s.length];
        memory.get(values);
        double sum = 0;
        for (int i = 0; i < s.length; i++) {
            values[i] = beta2 * values[i] + (weight * s[i] + constant);
            s[i] = values[i];
            sum += values[i];
        }
        memory.rewind();
        memory.put(values);
        return sum;
    }

    /** RMS(X): the dot product of the weight's elements with themselves. */
    private static float rms(NDArray x, float invSize) {
        NDArray flat = x.reshape(-1);
        return (float) Math.sqrt(host(flat.dot(flat)).get(0) * invSize);
    }

    private static FloatBuffer host(NDArray array) {
        return EngineSupport.hostView(array);
    }

    /** The matrix's blocks of rows, their gradients and the work buffer's view for each. */
    private static final class Blocks {
        final NDArray g;
        final int n;
        final int blockRows;
        final int count;
        NDArray work;

        Blocks(NDArray g, int n, int blockRows) {
            this.g = g;
            this.n = n;
            this.blockRows = blockRows;
            this.count = (n + blockRows - 1) / blockRows;
        }

        int start(int i) {
            return i * blockRows;
        }

        int rows(int i) {
            return Math.min(n, start(i) + blockRows) - start(i);
        }

        NDIndex index(int i) {
            return new NDIndex("{}:{}", start(i), start(i) + rows(i));
        }

        NDArray gradient(int i) {
            return count == 1 ? g : g.get(index(i));
        }

        /** The work buffer's view for block i: the last block may be shorter. */
        NDArray work(int i) {
            return rows(i) == blockRows ? work : work.get(new NDIndex("0:{}", rows(i)));
        }

        /** Block i's G^2, in the work buffer. */
        NDArray squares(int i) {
            NDArray copy = copy(i);
            return copy.muli(copy);
        }

        /** Block i's G, copied to the work buffer. */
        NDArray copy(int i) {
            NDArray target = work(i);
            EngineSupport.copyInto(target, gradient(i));
            return target;
        }
    }
}
