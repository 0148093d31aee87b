package dev.sublinear.optimizer;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * Algorithm 5 of the paper: the full moving average V of G^2 + eps1, shaped like the weight. Used
 * for vectors, scalars, and matrices that are not factored.
 */
final class FullSecondMoment implements SecondMoment {

    private final NDArray v;

    FullSecondMoment(NDArray v) {
        this.v = v;
    }

    @Override
    public void accumulate(NDArray gradient, float gradScale, NDArray work, float beta2, float eps1) {
        EngineSupport.copyInto(work, gradient);
        work.muli(work);
        float squareScale = gradScale * gradScale;
        if (squareScale != 1f) {
            work.muli(squareScale);
        }
        SecondMoment.movingAverage(v, work, beta2, eps1);
    }

    @Override
    public void precondition(NDArray gradient, float gradScale, NDArray work) {
        EngineSupport.copyInto(work, v);
        work.powi(-0.5f).muli(gradient);
        if (gradScale != 1f) {
            work.muli(gradScale);
        }
    }

    @Override
    public List<NDArray> arrays() {
        return List.of(v);
    }

    @Override
    public boolean factored() {
        return false;
    }
}
