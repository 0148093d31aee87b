package dev.sublinear.optimizer;

import ai.djl.ndarray.types.Shape;

/**
 * Adafactor's options, with the paper's defaults in {@link #defaults()} and the rules between them
 * in {@link #validate()}: the one place both are written. {@link Adafactor.Builder} fills one; a job
 * service can keep one in its stored settings and check it without building an optimizer. Adam and
 * AdamW read {@code beta1}, {@code beta2} and {@code weightDecay} from the same record.
 *
 * @param relativeStep the relative step size rho_t = min(1e-2, 1/sqrt(t)) instead of a learning rate
 * @param scaleParameter scale the step by max(eps2, RMS(X))
 * @param warmupInit with the relative step, warm up as rho_t = min(1e-6 t, 1/sqrt(t))
 * @param beta1 the momentum coefficient in [0, 1); 0 keeps no momentum
 * @param beta2 a fixed second-moment decay in (0, 1) with Adam's bias correction, or null for the
 *     increasing decay 1 - t^-decayRate
 * @param decayRate c &gt; 0 in beta2_t = 1 - t^-c
 * @param clipThreshold the update clipping threshold d &gt; 0
 * @param epsilon1 eps1 &gt; 0, added to the squared gradient
 * @param epsilon2 eps2 &gt;= 0, the floor of the parameter scale
 * @param factored factor the second moment of parameters of rank 2 or more
 * @param minDimSizeToFactor factor only when both of the last two dimensions are at least this
 * @param weightDecay decoupled weight decay &gt;= 0: X = X - weightDecay alpha_t X
 */
public record AdafactorOptions(
        boolean relativeStep,
        boolean scaleParameter,
        boolean warmupInit,
        float beta1,
        Float beta2,
        float decayRate,
        float clipThreshold,
        float epsilon1,
        float epsilon2,
        boolean factored,
        int minDimSizeToFactor,
        float weightDecay) {

    /** An option out of range, or two that contradict each other; {@link #option()} names it. */
    public static final class InvalidOptionException extends IllegalArgumentException {

        private final String option;

        InvalidOptionException(String option, String message) {
            super(message);
            this.option = option;
        }

        /** The record component at fault, e.g. {@code decayRate}. */
        public String option() {
            return option;
        }
    }

    /** The paper's defaults: relative step, parameter scaling, no momentum, the increasing decay. */
    public static AdafactorOptions defaults() {
        return new AdafactorOptions(true, true, false, 0f, null, 0.8f, 1f, 1e-30f, 1e-3f, true, 1, 0f);
    }

    /**
     * Checks every range and combination.
     *
     * @return these options
     * @throws InvalidOptionException naming the first option at fault
     */
    public AdafactorOptions validate() {
        require(beta1 >= 0f && beta1 < 1f, "beta1", "must be in [0, 1)", beta1);
        require(
                beta2 == null || (beta2 > 0f && beta2 < 1f),
                "beta2",
                "must be in (0, 1), or unset for the" + " increasing decay",
                beta2);
        require(decayRate > 0f && Float.isFinite(decayRate), "decayRate", "must be > 0", decayRate);
        require(clipThreshold > 0f && !Float.isNaN(clipThreshold), "clipThreshold", "must be > 0", clipThreshold);
        require(epsilon1 > 0f && Float.isFinite(epsilon1), "epsilon1", "must be > 0", epsilon1);
        require(epsilon2 >= 0f && Float.isFinite(epsilon2), "epsilon2", "must be >= 0", epsilon2);
        require(minDimSizeToFactor >= 1, "minDimSizeToFactor", "must be >= 1", minDimSizeToFactor);
        require(weightDecay >= 0f && Float.isFinite(weightDecay), "weightDecay", "must be >= 0", weightDecay);
        if (warmupInit && !relativeStep) {
            throw new InvalidOptionException(
                    "warmupInit", "warmupInit needs relativeStep: the warm-up shapes the" + " relative step");
        }
        return this;
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
            throw new InvalidOptionException(option, option + " " + rule + ", got " + value);
        }
    }
}
