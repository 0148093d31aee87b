package dev.sublinear.optimizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.loss.Loss;

/**
 * mean((prediction - label)^2) with no Java numbers in the graph. DJL's L2Loss multiplies by 0.5 as
 * a Number, which DJL frees while autograd still needs it (see docs/training.md): gradients can then
 * read freed memory.
 */
final class MeanSquaredError extends Loss {

    MeanSquaredError() {
        super("MeanSquaredError");
    }

    @Override
    public NDArray evaluate(NDList labels, NDList predictions) {
        return predictions
                .singletonOrThrow()
                .sub(labels.singletonOrThrow())
                .square()
                .mean();
    }
}
