package dev.sublinear.study;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The study's data on disk: training and validation JSONL for the runs, held-out pairs in memory
 * for exact match.
 *
 * @param training training JSONL
 * @param validation validation JSONL
 * @param test held-out pairs, none of them in training or validation
 * @param examples a few training pairs, to show in the report
 */
record StudyData(Path training, Path validation, List<TranslationTask.Pair> test, List<TranslationTask.Pair> examples) {

    /** Generates the task's pairs for {@code settings} into {@code directory}. */
    static StudyData generate(StudySettings settings, Path directory) throws IOException {
        TranslationTask.Splits splits = TranslationTask.generate(TranslationTask.STUDY_SEED)
                .splits(
                        settings.trainingPairs(),
                        settings.validationPairs(),
                        settings.testPairs(),
                        TranslationTask.STUDY_SEED);
        return new StudyData(
                TranslationTask.write(directory.resolve("train.jsonl"), splits.training()),
                TranslationTask.write(directory.resolve("valid.jsonl"), splits.validation()),
                splits.test(),
                splits.training().subList(0, Math.min(3, splits.training().size())));
    }
}
