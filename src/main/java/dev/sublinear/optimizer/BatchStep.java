package dev.sublinear.optimizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.List;

/**
 * Adafactor's step as engine operations on a batch: P parameters of one shape stacked in a leading
 * dimension, [P, ...], so a group of biases or norms costs the same few dozen engine operations as
 * one parameter. Every figure that differs per parameter (RMS(X), RMS(U), alpha_t) is a [P] vector,
 * computed by reductions over all but the first dimension. A parameter stepped alone keeps its own
 * shape and its figures are 0-d: the views that would add and remove the batch dimension cost a
 * few microseconds each, as much as an in-place operation on a small matrix.
 *
 * <p>Passes over the full-size arrays, for a factored parameter without momentum or decay: two
 * reading G on a GPU (its row and column norms give the sums of G^2 with nothing written; four on
 * the CPU, see {@link #squareSums}), one reading X
 * (RMS(X)), one writing G C^-1/2 (in place when the gradient may be overwritten), one reading it
 * (its row norms give RMS(U) without U), one scaling it by k R^-1/2 into the update, and the
 * caller's subtraction from the weight. A float32 matrix without momentum on the CPU takes {@link
 * CpuMatrixStep} instead. Scalars are device arrays ({@link DeviceScalars}): nothing here waits for the device.
 */
final class BatchStep {

    private static final float MINUS_HALF = -0.5f;

    private final AdafactorOptions options;
    private final DeviceScalars scalars;
    /** The CPU's work buffer, or null on a GPU. */
    private final Scratch scratch;

    private final NDManager step;

    /**
     * @param scratch the device's work buffer (CPU), or null to allocate temporaries (GPU)
     * @param step the manager the step's temporaries belong to
     */
    BatchStep(AdafactorOptions options, DeviceScalars scalars, Scratch scratch, NDManager step) {
        this.options = options;
        this.scalars = scalars;
        this.scratch = scratch;
        this.step = step;
    }

    /**
     * The arrays of one batch, all float32 and shaped [P, ...] (state arrays [P, ...] of their own
     * shapes), and the step's scalars.
     *
     * @param weights X, read only
     * @param gradient G before {@code gradScale}
     * @param gradientOwned whether G may be overwritten
     * @param secondMoment R and C, or V: updated in place
     * @param momentum M, updated in place, or null
     * @param gradScale the factor G is scaled by (1 once clipped)
     * @param rho rho_t: a 0-d array, or one value per parameter
     * @param beta2 beta2_t
     * @param single whether this is one parameter in its own shape (no batch dimension)
     */
    record Batch(
            NDArray weights,
            NDArray gradient,
            boolean gradientOwned,
            List<NDArray> secondMoment,
            NDArray momentum,
            float gradScale,
            NDArray rho,
            float beta2,
            boolean single) {}

    /**
     * What the caller subtracts from the weights, and the figures of the step.
     *
     * @param delta weightDecay alpha_t X + S, shaped like the batch; X = X - delta
     * @param alphas alpha_t per parameter, [P] (0-d for a single parameter)
     * @param updateRms RMS(U) per parameter, [P] (0-d for a single parameter)
     */
    record Result(NDArray delta, NDArray alphas, NDArray updateRms) {}

    /**
     * Runs the step. New arrays belong to the manager of the batch's arrays: attach those to a
     * step's manager that is closed after the caller has applied the result.
     */
    Result run(Batch b) {
        Shape shape = b.weights().getShape();
        int rank = shape.dimension();
        long count = b.single() ? 1 : shape.get(0);
        float invSize = (float) (count / (double) Math.max(shape.size(), 1));
        Preconditioned u = b.secondMoment().size() == 2 ? factored(b, rank, invSize) : full(b, invSize);
        NDArray alphas = stepScale(b, invSize, u.updateRms()); // alpha_t
        NDArray k = clipScale(alphas, u.updateRms()); // k = alpha_t / max(1, RMS(U) / d)
        NDArray update;
        if (u.rowFactor() == null) {
            update = u.partial().muli(perParameter(k, b, rank)); // S = k U
        } else {
            // S = k R^-1/2 (G C'): k joins the row factor, one pass over the full-size array
            NDArray rowScale = u.rowFactor().muli(perParameter(k, b, rank - 1));
            update = u.partial().muli(rowScale.expandDims(-1));
        }
        NDArray delta = update;
        if (b.momentum() != null) {
            delta = b.momentum().muli(scalars.of(options.beta1())).addi(update); // M = beta1 M + (1 - beta1) S
        }
        if (options.weightDecay() > 0f) {
            // X - weightDecay alpha_t X - S = X - delta: the decay joins the one subtraction
            NDArray decay = perParameter(alphas, b, rank).mul(scalars.of(options.weightDecay()));
            NDArray decayed = b.weights().mul(decay);
            delta = delta == b.momentum() ? decayed.addi(delta) : delta.addi(decayed);
        }
        return new Result(delta, alphas, u.updateRms());
    }

    /** {@code a}^2 in place. */
    private static NDArray squared(NDArray a) {
        return a.muli(a);
    }

    /**
     * U = partial * rowFactor (broadcast over rows), or U = partial when rowFactor is null, and
     * RMS(U) per parameter.
     */
    private record Preconditioned(NDArray partial, NDArray rowFactor, NDArray updateRms) {}

    /**
     * Algorithm 4: R and C from the row and column sums of s^2 G^2 + eps1; U = G R^-1/2 (C / sum
     * R)^-1/2 is left as G C' (in G's memory when it may be overwritten) and the row factor R^-1/2,
     * which {@link #run} applies together with k in one pass.
     */
    private Preconditioned factored(Batch b, int rank, float invSize) {
        NDArray g = b.gradient();
        Shape shape = g.getShape();
        long n = shape.get(rank - 2);
        long m = shape.get(rank - 1);
        NDArray[] sums = squareSums(g);
        NDArray[] factors = factors(b, sums[0], sums[1], n, m);
        NDArray rowFactor = factors[0];
        NDArray columnFactor = factors[1];
        if (rank > 2) {
            columnFactor = columnFactor.expandDims(-2); // [..., 1, m]; a matrix's [m] broadcasts as it is
        }
        // RMS(U)^2 = sum_i rowFactor_i^2 |row i of G C'|^2, no U written: for one matrix on the
        // CPU the squares of G times C'^2 (a matrix-vector product, one read of G^2), else the row
        // norms of G C' (batched matrix products are slow on the CPU, see sumsOfSquares)
        NDArray rowSquares2 = null;
        if (sums[2] != null && rank == 2) {
            rowSquares2 = sums[2].matMul(columnFactor.mul(columnFactor));
        }
        // G C': in place where G may be overwritten; else in the work buffer, free again by now
        NDArray scaled = b.gradientOwned() ? g.muli(columnFactor) : copy(g).muli(columnFactor);
        NDArray rowNorms = rowSquares2 != null
                ? rowSquares2.muli(rowFactor.mul(rowFactor))
                : squared(scaled.norm(2, new int[] {-1}, false).muli(rowFactor));
        NDArray updateRms =
                perParameterSum(rowNorms, b).muli(scalars.of(invSize)).sqrt();
        return new Preconditioned(scaled, rowFactor, updateRms);
    }

    /**
     * Updates R and C from the row and column sums of G^2 (overwritten) and returns the factors of
     * U = s G / sqrt(V): R^-1/2 times s, and (C / sum R)^-1/2. Their product is 1 / sqrt(R_i C_j /
     * sum R), so the n x m matrix V is never formed.
     */
    private NDArray[] factors(Batch b, NDArray rowSquares, NDArray columnSquares, long n, long m) {
        float rest = 1f - b.beta2();
        float squareWeight = rest * b.gradScale() * b.gradScale();
        NDArray r = b.secondMoment().get(0);
        NDArray c = b.secondMoment().get(1);
        // the eps1 of every element of a row (m of them) or a column (n) joins the small vectors
        movingAverage(r, rowSquares, b.beta2(), squareWeight, rest * options.epsilon1() * m);
        movingAverage(c, columnSquares, b.beta2(), squareWeight, rest * options.epsilon1() * n);
        NDArray rowFactor = r.pow(scalars.of(MINUS_HALF));
        if (b.gradScale() != 1f) {
            rowFactor.muli(scalars.of(b.gradScale()));
        }
        NDArray columnFactor = c.div(r.sum(new int[] {-1}, true)).powi(scalars.of(MINUS_HALF));
        return new NDArray[] {rowFactor, columnFactor};
    }

    /**
     * The sums of G^2 over each row and each column. On a GPU they are squared norms: two reads of G
     * and nothing written. On the CPU PyTorch's norm over a dimension other than the last is slow
     * (1024 x 1024, one thread: 4.5 ms against 0.11 ms for a sum over that dimension), so there G^2
     * is written once and summed both ways (four passes, 0.3 ms).
     */
    private NDArray[] squareSums(NDArray g) {
        if (scratch == null) {
            NDArray rows = g.norm(2, new int[] {-1}, false);
            NDArray columns = g.norm(2, new int[] {-2}, false);
            return new NDArray[] {rows.muli(rows), columns.muli(columns), null};
        }
        NDArray squares = copy(g).muli(g);
        return new NDArray[] {squares.sum(new int[] {-1}), squares.sum(new int[] {-2}), squares};
    }

    /**
     * A copy of {@code a} to work on: in the CPU's work buffer (a fresh array of this size each step
     * costs page faults there, about 100 ms for 64 MiB), else a new array.
     */
    private NDArray copy(NDArray a) {
        if (scratch == null) {
            return a.duplicate();
        }
        NDArray work = scratch.lend(a.getShape(), step);
        EngineSupport.copyInto(work, a);
        return work;
    }

    /**
     * Per parameter of the batch, the sum of the squares of its elements, [P], or 0-d for a single
     * parameter. A single parameter: a dot product of its elements (PyTorch's CPU norm over all
     * elements took twice as long on 1024 x 1024). Several: squared norms over all but the first
     * dimension (PyTorch's batched matrix product of [P, 1, N] by [P, N, 1] measured an order of
     * magnitude slower on the CPU).
     */
    private static NDArray sumsOfSquares(NDArray a, Batch b) {
        if (b.single()) {
            NDArray flat = a.getShape().dimension() == 1 ? a : a.reshape(-1);
            return flat.dot(flat);
        }
        NDArray norms = a.norm(2, allButFirst(a.getShape().dimension()), false);
        return norms.muli(norms);
    }

    /** The sum of each parameter's elements: [P], or 0-d for a single parameter. */
    private static NDArray perParameterSum(NDArray a, Batch b) {
        return b.single() ? a.sum() : a.sum(allButFirst(a.getShape().dimension()));
    }

    /** Algorithm 5: V, the moving average of s^2 G^2 + eps1, and U = s G / sqrt(V). */
    private Preconditioned full(Batch b, float invSize) {
        NDArray g = b.gradient();
        float rest = 1f - b.beta2();
        NDArray v = b.secondMoment().get(0);
        movingAverage(v, g.mul(g), b.beta2(), rest * b.gradScale() * b.gradScale(), rest * options.epsilon1());
        NDArray u = v.pow(scalars.of(MINUS_HALF)).muli(g);
        if (b.gradScale() != 1f) {
            u.muli(scalars.of(b.gradScale()));
        }
        NDArray updateRms = sumsOfSquares(u, b).muli(scalars.of(invSize)).sqrt();
        return new Preconditioned(u, null, updateRms);
    }

    /** V = beta2 V + weight * squares + constant (squares is overwritten). */
    private void movingAverage(NDArray v, NDArray squares, float beta2, float weight, float constant) {
        squares.muli(scalars.of(weight));
        if (constant != 0f) {
            squares.addi(scalars.of(constant));
        }
        v.muli(scalars.of(beta2)).addi(squares);
    }

    /** alpha_t = max(eps2, RMS(X)) rho_t per parameter, or rho_t without parameter scaling. */
    private NDArray stepScale(Batch b, float invSize, NDArray like) {
        if (!options.scaleParameter()) {
            return like.onesLike().muli(b.rho());
        }
        return sumsOfSquares(b.weights(), b)
                .muli(scalars.of(invSize))
                .sqrt()
                .maximum(scalars.of(options.epsilon2()))
                .muli(b.rho());
    }

    /** k = alpha_t / max(1, RMS(U) / d), times 1 - beta1 when the momentum averages S. */
    private NDArray clipScale(NDArray alphas, NDArray updateRms) {
        NDArray k = alphas.div(
                updateRms.mul(scalars.of(1f / options.clipThreshold())).maximum(scalars.of(1f)));
        if (options.momentum()) {
            k.muli(scalars.of(1f - options.beta1()));
        }
        return k;
    }

    /**
     * A [P] vector shaped [P, 1, ..., 1] to broadcast over arrays of rank {@code rank}; a single
     * parameter's 0-d figure broadcasts as it is.
     */
    private static NDArray perParameter(NDArray vector, Batch b, int rank) {
        if (b.single()) {
            return vector;
        }
        long[] dims = new long[rank];
        Arrays.fill(dims, 1);
        dims[0] = vector.size();
        return vector.reshape(new Shape(dims));
    }

    /** Axes 1 .. rank - 1: a reduction over them leaves one value per parameter. */
    private static int[] allButFirst(int rank) {
        int[] axes = new int[rank - 1];
        for (int i = 0; i < axes.length; i++) {
            axes[i] = i + 1;
        }
        return axes;
    }
}
