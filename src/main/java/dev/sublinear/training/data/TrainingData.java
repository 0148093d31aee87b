package dev.sublinear.training.data;

import java.util.List;

/**
 * Validated examples, ready to encode.
 *
 * @param task the task they were validated for
 * @param training training examples, in file order
 * @param validation validation examples (may be empty)
 * @param labels the label set, sorted (classification only; becomes part of the model)
 * @param warnings what was accepted with a change (truncation)
 */
public record TrainingData(
        TaskType task,
        List<Example> training,
        List<Example> validation,
        List<String> labels,
        List<DataProblem> warnings) {}
