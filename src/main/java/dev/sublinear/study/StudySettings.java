package dev.sublinear.study;

import dev.sublinear.training.data.ByteTokenizer;
import dev.sublinear.training.data.TaskType;
import dev.sublinear.training.model.ModelConfig;
import java.util.List;

/**
 * The size of one study: the model, how long each run trains, how many seeds, how much data.
 *
 * @param mode quick or full
 * @param model the Transformer LM every run starts from (freshly initialised per seed)
 * @param steps optimizer steps per run
 * @param batchSize examples per step
 * @param seeds model-initialisation and shuffling seeds; every variant runs every seed
 * @param trainingPairs generated training pairs
 * @param validationPairs validation pairs (the loss the table reports)
 * @param testPairs held-out pairs for exact match, none of them in training
 * @param evalInterval steps between validation losses
 * @param learningRate the peak rate of Adam and of Adafactor with a fixed rate
 * @param warmupSteps linear warm-up of Adam and of Adafactor with a fixed rate
 */
public record StudySettings(
        String mode,
        ModelConfig model,
        int steps,
        int batchSize,
        List<Long> seeds,
        int trainingPairs,
        int validationPairs,
        int testPairs,
        int evalInterval,
        float learningRate,
        int warmupSteps) {

    public StudySettings {
        seeds = List.copyOf(seeds);
        if (steps < 1
                || batchSize < 1
                || seeds.isEmpty()
                || trainingPairs < 2
                || validationPairs < 1
                || testPairs < 1
                || evalInterval < 1
                || warmupSteps < 0
                || !(learningRate > 0f)) {
            throw new IllegalArgumentException("invalid study settings: " + this);
        }
    }

    /**
     * The full study: the numbers docs/reproduction.md reports. A 2-layer, 128-wide decoder trains
     * 800 steps in about 90 s on 2 CPU cores, so 24 runs take under an hour; 800 steps leave Adam
     * short of a perfect score (about 90% exact match), where differences between variants show.
     * The paper's claims are about the optimizer, not the model's size. Adam's rate is the best of
     * 3e-4, 1e-3, 3e-3 and 1e-2 by mean final validation loss over the three seeds (the sweep is in
     * docs/reproduction.md).
     */
    public static StudySettings full() {
        return new StudySettings(
                "full", model(2, 128, 4, 512), 800, 32, List.of(1L, 2L, 3L), 8000, 400, 200, 50, 1e-3f, 120);
    }

    /** Minutes, not hours: checks that every variant runs and that the report and plots are written. */
    public static StudySettings quick() {
        return new StudySettings("quick", model(1, 32, 2, 64), 12, 8, List.of(1L, 2L, 3L), 200, 16, 8, 6, 3e-3f, 3);
    }

    private static ModelConfig model(int layers, int width, int heads, int mlpWidth) {
        // a sentence pair is under 80 bytes with its markers
        return new ModelConfig(
                TaskType.CAUSAL_LM,
                ByteTokenizer.TYPE,
                new ByteTokenizer().vocabularySize(),
                96,
                layers,
                width,
                heads,
                mlpWidth,
                List.of());
    }

    /** The same study with other seeds (the command's --seeds). */
    public StudySettings withSeeds(List<Long> other) {
        return new StudySettings(
                mode,
                model,
                steps,
                batchSize,
                other,
                trainingPairs,
                validationPairs,
                testPairs,
                evalInterval,
                learningRate,
                warmupSteps);
    }

    /** The same study with another peak rate for Adam and the fixed-rate Adafactor (the command's --learning-rate). */
    public StudySettings withLearningRate(float other) {
        return new StudySettings(
                mode,
                model,
                steps,
                batchSize,
                seeds,
                trainingPairs,
                validationPairs,
                testPairs,
                evalInterval,
                other,
                warmupSteps);
    }

    /** The same study with another run length (the command's --steps). */
    public StudySettings withSteps(int other) {
        return new StudySettings(
                mode,
                model,
                other,
                batchSize,
                seeds,
                trainingPairs,
                validationPairs,
                testPairs,
                evalInterval,
                learningRate,
                Math.min(warmupSteps, other / 10));
    }
}
