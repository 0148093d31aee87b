package dev.sublinear.training.run;

import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.CosineTracker;
import ai.djl.training.tracker.LinearTracker;
import ai.djl.training.tracker.ParameterTracker;
import ai.djl.training.tracker.Tracker;
import ai.djl.training.tracker.WarmUpTracker;
import dev.sublinear.optimizer.Adafactor;
import dev.sublinear.optimizer.Adam;

/**
 * The optimizer of a run and its step size. Adafactor (the default) takes every option of
 * {@link Adafactor}; {@code adam} and {@code adamw}, for comparison, are {@link Adam}: DJL's update,
 * with state that a checkpoint keeps.
 *
 * @param type adafactor, adam or adamw
 * @param schedule relative (Adafactor's own step size; Adafactor only), constant, linear or cosine
 * @param learningRate peak step size for constant/linear/cosine
 * @param warmupSteps linear warm-up steps before the schedule
 * @param beta1 momentum (Adafactor: 0 = none; Adam: 0.9 typical)
 * @param beta2 a fixed second-moment decay (Adafactor: 0 = the increasing decay 1 - t^-c; Adam: 0 = DJL's 0.999)
 * @param decayRate Adafactor's c in beta2_t = 1 - t^-c
 * @param clipThreshold Adafactor's update clipping threshold d
 * @param scaleParameter Adafactor's parameter scaling
 * @param warmupInit Adafactor's relative-step warm-up
 * @param epsilon1 Adafactor's eps1
 * @param epsilon2 Adafactor's eps2
 * @param factored Adafactor's factored second moment
 * @param minDimSizeToFactor Adafactor's minimum dimensions to factor
 * @param weightDecay decoupled weight decay
 */
public record OptimizerConfig(
        Type type,
        Schedule schedule,
        float learningRate,
        int warmupSteps,
        float beta1,
        float beta2,
        float decayRate,
        float clipThreshold,
        boolean scaleParameter,
        boolean warmupInit,
        float epsilon1,
        float epsilon2,
        boolean factored,
        int minDimSizeToFactor,
        float weightDecay) {

    /** Which optimizer. */
    public enum Type {
        ADAFACTOR,
        ADAM,
        ADAMW
    }

    /** How the step size evolves. */
    public enum Schedule {
        RELATIVE,
        CONSTANT,
        LINEAR,
        COSINE
    }

    /** Adafactor with the paper's defaults. */
    public static OptimizerConfig adafactor() {
        return new OptimizerConfig(Type.ADAFACTOR, Schedule.RELATIVE, 1e-3f, 0, 0f, 0f, 0.8f, 1f, true, false, 1e-30f, 1e-3f,
                true, 1, 0f);
    }

    /** Adam at a constant rate. */
    public static OptimizerConfig adam(float learningRate) {
        return new OptimizerConfig(Type.ADAM, Schedule.CONSTANT, learningRate, 0, 0.9f, 0f, 0.8f, 1f, true, false, 1e-30f,
                1e-3f, true, 1, 0f);
    }

    public OptimizerConfig withSchedule(Schedule schedule, float learningRate, int warmupSteps) {
        return new OptimizerConfig(type, schedule, learningRate, warmupSteps, beta1, beta2, decayRate, clipThreshold,
                scaleParameter, warmupInit, epsilon1, epsilon2, factored, minDimSizeToFactor, weightDecay);
    }

    public OptimizerConfig withBeta1(float value) {
        return new OptimizerConfig(type, schedule, learningRate, warmupSteps, value, beta2, decayRate, clipThreshold,
                scaleParameter, warmupInit, epsilon1, epsilon2, factored, minDimSizeToFactor, weightDecay);
    }

    /** A fixed beta2 (Adafactor: bias-corrected, in place of the increasing decay). */
    public OptimizerConfig withBeta2(float value) {
        return new OptimizerConfig(type, schedule, learningRate, warmupSteps, beta1, value, decayRate, clipThreshold,
                scaleParameter, warmupInit, epsilon1, epsilon2, factored, minDimSizeToFactor, weightDecay);
    }

    /** Adafactor's update clipping threshold d; infinity turns clipping off. */
    public OptimizerConfig withClipThreshold(float value) {
        return new OptimizerConfig(type, schedule, learningRate, warmupSteps, beta1, beta2, decayRate, value,
                scaleParameter, warmupInit, epsilon1, epsilon2, factored, minDimSizeToFactor, weightDecay);
    }

    public OptimizerConfig withFactored(boolean value) {
        return new OptimizerConfig(type, schedule, learningRate, warmupSteps, beta1, beta2, decayRate, clipThreshold,
                scaleParameter, warmupInit, epsilon1, epsilon2, value, minDimSizeToFactor, weightDecay);
    }

    public OptimizerConfig withScaleParameter(boolean value) {
        return new OptimizerConfig(type, schedule, learningRate, warmupSteps, beta1, beta2, decayRate, clipThreshold,
                value, warmupInit, epsilon1, epsilon2, factored, minDimSizeToFactor, weightDecay);
    }

    /** Builds the optimizer for a run of {@code totalSteps} optimizer steps. */
    public Optimizer build(int totalSteps) {
        if (schedule == Schedule.RELATIVE && type != Type.ADAFACTOR) {
            throw new IllegalArgumentException("the relative step size is Adafactor's; " + type + " needs a schedule");
        }
        return switch (type) {
            case ADAFACTOR -> {
                Adafactor.Builder b = Adafactor.builder()
                        .optBeta1(beta1)
                        .optBeta2(beta2)
                        .optDecayRate(decayRate)
                        .optClipThreshold(clipThreshold)
                        .optScaleParameter(scaleParameter)
                        .optEpsilon1(epsilon1)
                        .optEpsilon2(epsilon2)
                        .optFactored(factored)
                        .optMinDimSizeToFactor(minDimSizeToFactor)
                        .optWeightDecays(weightDecay);
                if (schedule == Schedule.RELATIVE) {
                    b.optRelativeStep(true).optWarmupInit(warmupInit);
                } else {
                    b.optRelativeStep(false).optLearningRateTracker(tracker(totalSteps));
                }
                yield b.build();
            }
            case ADAM -> Adam.builder().optBeta1(beta1).optBeta2(adamBeta2())
                    .optLearningRateTracker(tracker(totalSteps)).build();
            case ADAMW -> Adam.adamWBuilder().optBeta1(beta1).optBeta2(adamBeta2()).optWeightDecays(weightDecay)
                    .optLearningRateTracker(tracker(totalSteps)).build();
        };
    }

    private float adamBeta2() {
        return beta2 > 0f ? beta2 : 0.999f;
    }

    ParameterTracker tracker(int totalSteps) {
        int decaySteps = Math.max(1, totalSteps - warmupSteps);
        Tracker main = switch (schedule) {
            case CONSTANT, RELATIVE -> Tracker.fixed(learningRate);
            case LINEAR -> LinearTracker.builder().setBaseValue(learningRate)
                    .optSlope(-learningRate / decaySteps).optMinValue(0f).build();
            case COSINE -> CosineTracker.builder().setBaseValue(learningRate).optFinalValue(0f)
                    .setMaxUpdates(decaySteps).build();
        };
        if (warmupSteps <= 0) {
            return main;
        }
        return WarmUpTracker.builder().setMainTracker(main).optWarmUpSteps(warmupSteps)
                .optWarmUpBeginValue(0f).optWarmUpMode(WarmUpTracker.Mode.LINEAR).build();
    }
}
