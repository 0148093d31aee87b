package dev.sublinear.jobs;

import dev.sublinear.training.run.LearningRate;
import dev.sublinear.training.run.OptimizerConfig;
import dev.sublinear.training.run.TrainingPlan;

/** Turns a job's settings into the training layer's, in one place for the API's checks and the worker's run. */
public final class TrainingSettings {

    /** Checkpoints kept per job: enough to fall back one if the newest is damaged. */
    static final int KEEP_CHECKPOINTS = 3;

    private TrainingSettings() {}

    public static TrainingPlan hyperparameters(JobSettings settings) {
        JobSettings.Hyperparameters h = settings.hyperparameters();
        return new TrainingPlan(
                h.nEpochs(),
                h.batchSize(),
                h.maxSteps(),
                h.gradientAccumulation(),
                h.evalIntervalSteps(),
                h.checkpointIntervalSteps(),
                KEEP_CHECKPOINTS);
    }

    /**
     * The run's optimizer and learning rate.
     *
     * @throws IllegalArgumentException naming the option at fault when the settings contradict each other
     */
    public static OptimizerConfig optimizer(JobSettings settings) {
        JobSettings.Optimizer o = settings.optimizer();
        JobSettings.Hyperparameters h = settings.hyperparameters();
        OptimizerConfig.Type type = OptimizerConfig.Type.fromId(o.type());
        LearningRate rate = h.learningRate() == null
                ? LearningRate.RELATIVE
                : new LearningRate(
                        LearningRate.Schedule.CONSTANT, h.learningRate().floatValue(), h.warmupSteps());
        return new OptimizerConfig(type, rate, o.options());
    }
}
