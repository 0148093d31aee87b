package dev.sublinear.optimizer;

import ai.djl.ndarray.NDArray;

/** What Adam keeps for one parameter on one device: the moments m and v and the step count t. */
final class AdamMoments {

    /** The first moment m, in the parameter's type. */
    final NDArray mean;
    /** The second moment v, in the parameter's type. */
    final NDArray variance;

    private int step;

    AdamMoments(NDArray mean, NDArray variance, int step) {
        this.mean = mean;
        this.variance = variance;
        this.step = step;
    }

    /** Advances the step count; the first update is t = 1. */
    int nextStep() {
        return ++step;
    }

    int step() {
        return step;
    }

    long bytes() {
        return mean.size() * mean.getDataType().getNumOfBytes()
                + variance.size() * variance.getDataType().getNumOfBytes();
    }
}
