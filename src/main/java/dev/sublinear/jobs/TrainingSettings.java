package dev.sublinear.jobs;

import dev.sublinear.training.run.Hyperparameters;
import dev.sublinear.training.run.OptimizerConfig;
import java.util.Locale;

/** Turns a job's settings into the training layer's, in one place for the API's checks and the worker's run. */
public final class TrainingSettings {

    /** Checkpoints kept per job: enough to fall back one if the newest is damaged. */
    static final int KEEP_CHECKPOINTS = 3;

    private TrainingSettings() {}

    public static Hyperparameters hyperparameters(JobSettings settings) {
        JobSettings.Hyperparameters h = settings.hyperparameters();
        return new Hyperparameters(h.nEpochs(), h.batchSize(), h.maxSteps(), h.gradientAccumulation(),
                h.evalIntervalSteps(), h.checkpointIntervalSteps(), KEEP_CHECKPOINTS);
    }

    public static OptimizerConfig optimizer(JobSettings settings) {
        JobSettings.Optimizer o = settings.optimizer();
        JobSettings.Hyperparameters h = settings.hyperparameters();
        OptimizerConfig.Type type = OptimizerConfig.Type.valueOf(o.type().toUpperCase(Locale.ROOT));
        OptimizerConfig.Schedule schedule = type == OptimizerConfig.Type.ADAFACTOR && o.relativeStep()
                ? OptimizerConfig.Schedule.RELATIVE
                : OptimizerConfig.Schedule.CONSTANT;
        float learningRate = h.learningRate() == null ? 1e-3f : h.learningRate().floatValue();
        return new OptimizerConfig(type, schedule, learningRate, h.warmupSteps(), (float) o.beta1(), o.beta2() == null ? 0f : o.beta2().floatValue(),
                (float) o.decayRate(), (float) o.clipThreshold(), o.scaleParameter(), o.warmupInit(),
                (float) o.epsilon1(), (float) o.epsilon2(), o.factored(), o.minDimSizeToFactor(),
                (float) o.weightDecay());
    }
}
