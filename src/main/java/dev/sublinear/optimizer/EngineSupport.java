package dev.sublinear.optimizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * The few engine-specific calls the optimizer needs, kept in one place.
 *
 * <p>PyTorch records autograd history per thread: an in-place update of a leaf parameter from a
 * thread whose grad mode is on fails, so the update runs with grad mode off and restores it after.
 */
final class EngineSupport {

    private static final NDIndex ALL = new NDIndex(":");

    private EngineSupport() {}

    /** Turns autograd off on this thread; returns the previous mode for {@link #restoreGradMode}. */
    static boolean disableGradMode(NDArray weight) {
        if (!(weight instanceof PtNDArray)) {
            return false;
        }
        boolean previous = JniUtils.isGradMode();
        if (previous) {
            JniUtils.setGradMode(false);
        }
        return previous;
    }

    static void restoreGradMode(NDArray weight, boolean previous) {
        if (previous && weight instanceof PtNDArray) {
            JniUtils.setGradMode(true);
        }
    }

    /**
     * Zeroes the weight's own gradient. DJL hands optimizers a copy of the gradient, so an
     * optimizer that does not zero the original lets gradients accumulate across steps.
     */
    static void zeroGradient(NDArray weight) {
        if (weight instanceof PtNDArray) {
            JniUtils.zeroGrad((PtNDArray) weight);
        } else if (weight.hasGradient()) {
            try (NDArray gradient = weight.getGradient()) {
                gradient.set(ALL, 0f);
            }
        }
    }

    /** Copies {@code source} into {@code target} in place (same shape), with no temporary. */
    static void copyInto(NDArray target, NDArray source) {
        if (target.getShape().dimension() == 0) {
            // a 0-d tensor cannot be sliced; its 1-element view can
            target.reshape(1).set(ALL, source.reshape(1));
        } else {
            target.set(ALL, source);
        }
    }
}
