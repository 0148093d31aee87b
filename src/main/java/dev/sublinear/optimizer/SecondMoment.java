package dev.sublinear.optimizer;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * The running estimate V of E[G^2] for one parameter on one device, and the preconditioning
 * U = G / sqrt(V) it implies. Implementations differ only in how V is stored.
 */
interface SecondMoment {

    /**
     * Folds this step's squared gradient into the estimate: V = beta2 * V + (1 - beta2) * (G^2 +
     * eps1), where G = gradScale * gradient. {@code work} is a float32 buffer shaped like the
     * gradient; its contents on return are unspecified.
     */
    void accumulate(NDArray gradient, float gradScale, NDArray work, float beta2, float eps1);

    /** Writes U = G / sqrt(V) into {@code work}, with G = gradScale * gradient. */
    void precondition(NDArray gradient, float gradScale, NDArray work);

    /** The state arrays, in the order they are saved and loaded. */
    List<NDArray> arrays();

    boolean factored();

    /** V = beta2 * V + (1 - beta2) * (squares + eps), on arrays of the same shape. */
    static void movingAverage(NDArray v, NDArray squares, float beta2, float eps) {
        if (eps != 0f) {
            squares.addi(eps);
        }
        squares.muli(1f - beta2);
        v.muli(beta2).addi(squares);
    }
}
