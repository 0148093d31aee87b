package dev.sublinear.optimizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.List;

/**
 * Algorithm 4 of the paper: for a weight [..., n, m] it keeps the row sums R [..., n] and column
 * sums C [..., m] of the moving average of G^2 + eps1, and stands in for the full estimate with the
 * rank-1 reconstruction V = R C^T / sum(R). Leading dimensions are batch dimensions.
 */
final class FactoredSecondMoment implements SecondMoment {

    private static final int[] ROWS = {-1};
    private static final int[] COLUMNS = {-2};

    private final NDArray rowSums;
    private final NDArray columnSums;

    FactoredSecondMoment(NDArray rowSums, NDArray columnSums) {
        this.rowSums = rowSums;
        this.columnSums = columnSums;
    }

    /** Shapes of R and C for a weight shape [..., n, m]: [..., n] and [..., m]. */
    static Shape[] stateShapes(Shape weight) {
        int rank = weight.dimension();
        Shape batch = weight.slice(0, rank - 2);
        return new Shape[] {batch.addAll(new Shape(weight.get(rank - 2))), batch.addAll(new Shape(weight.get(rank - 1)))
        };
    }

    @Override
    public void accumulate(NDArray gradient, float gradScale, NDArray work, float beta2, float eps1) {
        Shape shape = gradient.getShape();
        long n = shape.get(shape.dimension() - 2);
        long m = shape.get(shape.dimension() - 1);
        EngineSupport.copyInto(work, gradient);
        work.muli(work);
        // sum over a row of (G^2 + eps1) = rowSum(G^2) + m * eps1: eps1 joins the small vector.
        NDArray rowSquares = work.sum(ROWS);
        NDArray columnSquares = work.sum(COLUMNS);
        float squareScale = gradScale * gradScale;
        if (squareScale != 1f) {
            rowSquares.muli(squareScale);
            columnSquares.muli(squareScale);
        }
        SecondMoment.movingAverage(rowSums, rowSquares, beta2, eps1 * m);
        SecondMoment.movingAverage(columnSums, columnSquares, beta2, eps1 * n);
    }

    @Override
    public void precondition(NDArray gradient, float gradScale, NDArray work) {
        // 1 / sqrt(R_i C_j / sum(R)) = R_i^-1/2 * (C_j / sum(R))^-1/2: two broadcast scalings of G
        // in place, never the n x m matrix V.
        NDArray rowFactor = rowSums.pow(-0.5f);
        if (gradScale != 1f) {
            rowFactor.muli(gradScale);
        }
        NDArray columnFactor = columnSums.div(rowSums.sum(ROWS, true)).powi(-0.5f);
        EngineSupport.copyInto(work, gradient);
        work.muli(rowFactor.expandDims(-1));
        work.muli(columnFactor.expandDims(-2));
    }

    @Override
    public List<NDArray> arrays() {
        return List.of(rowSums, columnSums);
    }

    @Override
    public boolean factored() {
        return true;
    }
}
