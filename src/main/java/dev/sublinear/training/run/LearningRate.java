package dev.sublinear.training.run;

import ai.djl.training.tracker.CosineTracker;
import ai.djl.training.tracker.LinearTracker;
import ai.djl.training.tracker.ParameterTracker;
import ai.djl.training.tracker.Tracker;
import ai.djl.training.tracker.WarmUpTracker;

/**
 * How a run's step size evolves: Adafactor's own relative step, or a peak rate held constant or
 * decayed linearly or by a cosine to 0 over the run, after an optional linear warm-up from 0.
 *
 * @param schedule relative (Adafactor only), constant, linear or cosine
 * @param peak the rate after warm-up (unused by the relative step)
 * @param warmupSteps linear warm-up steps before the schedule (none with the relative step, which
 *     warms up by itself when asked)
 */
public record LearningRate(Schedule schedule, float peak, int warmupSteps) {

    /** How the step size evolves. */
    public enum Schedule {
        RELATIVE,
        CONSTANT,
        LINEAR,
        COSINE
    }

    /** Adafactor's relative step size: no rate to give. */
    public static final LearningRate RELATIVE = new LearningRate(Schedule.RELATIVE, 0f, 0);

    public LearningRate {
        if (schedule == Schedule.RELATIVE) {
            if (warmupSteps != 0) {
                throw new IllegalArgumentException(
                        "warmup_steps needs a learning rate; the relative step warms up" + " by itself");
            }
        } else if (!(peak > 0f) || !Float.isFinite(peak)) {
            throw new IllegalArgumentException("learning_rate must be > 0, got " + peak);
        } else if (warmupSteps < 0) {
            throw new IllegalArgumentException("warmup_steps must be >= 0, got " + warmupSteps);
        }
    }

    public static LearningRate constant(float peak) {
        return new LearningRate(Schedule.CONSTANT, peak, 0);
    }

    public boolean relative() {
        return schedule == Schedule.RELATIVE;
    }

    /** The rate at each update of a run of {@code totalSteps} optimizer steps. */
    ParameterTracker tracker(int totalSteps) {
        int decaySteps = Math.max(1, totalSteps - warmupSteps);
        Tracker main = switch (schedule) {
            case CONSTANT, RELATIVE -> Tracker.fixed(peak);
            case LINEAR ->
                LinearTracker.builder()
                        .setBaseValue(peak)
                        .optSlope(-peak / decaySteps)
                        .optMinValue(0f)
                        .build();
            case COSINE ->
                CosineTracker.builder()
                        .setBaseValue(peak)
                        .optFinalValue(0f)
                        .setMaxUpdates(decaySteps)
                        .build();
        };
        if (warmupSteps <= 0) {
            return main;
        }
        return WarmUpTracker.builder()
                .setMainTracker(main)
                .optWarmUpSteps(warmupSteps)
                .optWarmUpBeginValue(0f)
                .optWarmUpMode(WarmUpTracker.Mode.LINEAR)
                .build();
    }
}
