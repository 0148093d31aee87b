package dev.sublinear.training.run;

import ai.djl.Device;
import dev.sublinear.training.data.TaskType;
import java.nio.file.Path;

/**
 * Everything a run needs.
 *
 * @param task what to train
 * @param baseModel where the starting model comes from
 * @param trainingFile JSONL training data
 * @param validationFile JSONL validation data, or null
 * @param hyperparameters epochs, batch size, steps, intervals
 * @param optimizer the optimizer and its step size
 * @param devices the devices to train on (several GPUs split each batch)
 * @param seed initialisation and shuffling seed
 * @param checkpoints where checkpoints go (and come from when resuming)
 * @param resumeFrom a checkpoint in {@code checkpoints} to continue from, or null
 * @param outputDirectory where the trained model is saved at the end, or null
 */
public record TrainingSpec(
        TaskType task,
        ModelSource baseModel,
        Path trainingFile,
        Path validationFile,
        TrainingPlan hyperparameters,
        OptimizerConfig optimizer,
        Device[] devices,
        long seed,
        CheckpointStore checkpoints,
        String resumeFrom,
        Path outputDirectory) {

    public TrainingSpec resumingFrom(String checkpoint) {
        return new TrainingSpec(
                task,
                baseModel,
                trainingFile,
                validationFile,
                hyperparameters,
                optimizer,
                devices,
                seed,
                checkpoints,
                checkpoint,
                outputDirectory);
    }
}
