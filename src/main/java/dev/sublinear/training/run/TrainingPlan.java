package dev.sublinear.training.run;

/**
 * How long and in what pieces a run trains.
 *
 * @param epochs passes over the training data
 * @param batchSize examples per micro-batch
 * @param maxSteps stop after this many optimizer steps (0: no limit)
 * @param gradientAccumulation micro-batches per optimizer step
 * @param evalIntervalSteps validation every this many steps (0: only at the end)
 * @param checkpointIntervalSteps a checkpoint every this many steps (0: only at the end)
 * @param keepCheckpoints how many of the newest checkpoints to keep
 */
public record TrainingPlan(
        int epochs,
        int batchSize,
        int maxSteps,
        int gradientAccumulation,
        int evalIntervalSteps,
        int checkpointIntervalSteps,
        int keepCheckpoints) {

    public TrainingPlan {
        require(epochs >= 1, "epochs", epochs);
        require(batchSize >= 1, "batch_size", batchSize);
        require(maxSteps >= 0, "max_steps", maxSteps);
        require(gradientAccumulation >= 1, "gradient_accumulation", gradientAccumulation);
        require(evalIntervalSteps >= 0, "eval_interval_steps", evalIntervalSteps);
        require(checkpointIntervalSteps >= 0, "checkpoint_interval_steps", checkpointIntervalSteps);
        require(keepCheckpoints >= 1, "keep_checkpoints", keepCheckpoints);
    }

    public static TrainingPlan defaults() {
        return new TrainingPlan(3, 8, 0, 1, 0, 0, 3);
    }

    private static void require(boolean ok, String name, int value) {
        if (!ok) {
            throw new IllegalArgumentException(name + " out of range: " + value);
        }
    }
}
