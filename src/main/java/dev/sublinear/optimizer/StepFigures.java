package dev.sublinear.optimizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * One engine step's alpha_t and RMS(U), one element per parameter of the step, left on the device
 * (reading them would wait for the device) until {@link Diagnostics} reads them. A grouped step's
 * parameters share one; it is freed when the last of them has moved on to a newer step.
 */
final class StepFigures {

    final NDArray alphas;
    final NDArray updateRms;
    private int holders;

    /** Moves the two 1-d arrays to {@code owner}, where they outlive the step that made them. */
    StepFigures(NDArray alphas, NDArray updateRms, int holders, NDManager owner) {
        alphas.attach(owner);
        updateRms.attach(owner);
        this.alphas = alphas;
        this.updateRms = updateRms;
        this.holders = holders;
    }

    /** A parameter no longer refers to these figures; the last one frees them. */
    void release() {
        if (--holders == 0) {
            alphas.close();
            updateRms.close();
        }
    }
}
