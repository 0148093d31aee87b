package dev.sublinear.optimizer;

import ai.djl.ndarray.types.Shape;
import ai.djl.training.tracker.ParameterTracker;

/**
 * Adafactor's options as {@link Adafactor.Builder} collected them, checked when created: a value out
 * of range or a contradictory combination throws {@link IllegalArgumentException} naming the
 * builder's option. Both executions of the step read them from here.
 */
record AdafactorOptions(
        ParameterTracker learningRateTracker,
        boolean relativeStep,
        boolean scaleParameter,
        boolean warmupInit,
        float beta1,
        float decayRate,
        float beta2,
        float clipThreshold,
        float epsilon1,
        float epsilon2,
        boolean factored,
        int minDimSizeToFactor,
        float weightDecay,
        float rescaleGrad,
        float clipGrad) {

    AdafactorOptions {
        require(beta1 >= 0f && beta1 < 1f, "optBeta1", "must be in [0, 1)", beta1);
        require(decayRate > 0f && Float.isFinite(decayRate), "optDecayRate", "must be > 0", decayRate);
        require(beta2 >= 0f && beta2 < 1f, "optBeta2", "must be in (0, 1), or 0 for the increasing decay", beta2);
        require(clipThreshold > 0f && !Float.isNaN(clipThreshold), "optClipThreshold", "must be > 0", clipThreshold);
        require(epsilon1 > 0f && Float.isFinite(epsilon1), "optEpsilon1", "must be > 0", epsilon1);
        require(epsilon2 >= 0f && Float.isFinite(epsilon2), "optEpsilon2", "must be >= 0", epsilon2);
        require(minDimSizeToFactor >= 1, "optMinDimSizeToFactor", "must be >= 1", minDimSizeToFactor);
        require(weightDecay >= 0f && Float.isFinite(weightDecay), "optWeightDecays", "must be >= 0", weightDecay);
        require(rescaleGrad > 0f && Float.isFinite(rescaleGrad), "setRescaleGrad", "must be > 0", rescaleGrad);
        require(
                clipGrad != 0f && !Float.isNaN(clipGrad),
                "optClipGrad",
                "must be > 0 to clip, or negative to turn clipping off",
                clipGrad);
        if (relativeStep && learningRateTracker != null) {
            throw new IllegalArgumentException(
                    "optLearningRateTracker is set but optRelativeStep is true: the relative step"
                            + " replaces the learning rate; call optRelativeStep(false) to use the"
                            + " tracker");
        }
        if (!relativeStep && learningRateTracker == null) {
            throw new IllegalArgumentException(
                    "optRelativeStep(false) needs optLearningRateTracker: with no relative step the"
                            + " tracker gives the step size");
        }
        if (warmupInit && !relativeStep) {
            throw new IllegalArgumentException(
                    "optWarmupInit(true) needs optRelativeStep(true): the warm-up shapes the"
                            + " relative step");
        }
    }

    /** Whether parameters keep a momentum M. */
    boolean momentum() {
        return beta1 > 0f;
    }

    /** Factor when rank &gt;= 2 and both of the last two dimensions are at least the minimum. */
    boolean isFactored(Shape shape) {
        int rank = shape.dimension();
        return factored
                && rank >= 2
                && shape.get(rank - 2) >= minDimSizeToFactor
                && shape.get(rank - 1) >= minDimSizeToFactor;
    }

    /** alpha_t = max(eps2, RMS(X)) rho_t, or rho_t without parameter scaling, from sum(X^2). */
    float alpha(double sumSquaresOfX, long size, float rho) {
        if (!scaleParameter) {
            return rho;
        }
        return (float) (Math.max(epsilon2, Math.sqrt(sumSquaresOfX / size)) * rho);
    }

    private static void require(boolean ok, String option, String rule, Number value) {
        if (!ok) {
            throw new IllegalArgumentException(option + " " + rule + ", got " + value);
        }
    }
}
