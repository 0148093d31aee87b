package dev.sublinear.jobs;

import io.swagger.v3.oas.annotations.media.Schema;
import java.util.Arrays;
import java.util.List;

/**
 * One optimizer step's figures. NaN-free: fields a step has no value for are null.
 *
 * @param trainAccuracy the step's mean token accuracy: over the target tokens the loss counts
 *     (mask-weighted), the fraction whose argmax prediction is the target; for classification the
 *     fraction of rows right
 * @param validAccuracy at an evaluated step, the same over the whole validation file (mean token
 *     accuracy for causal LM, fraction of rows right for classification)
 * @param learningRate Adafactor's mean alpha_t, or the schedule's rate for Adam
 * @param updateRms Adafactor's mean RMS of the unclipped update
 * @param clipRate fraction of parameters whose update was clipped
 */
@Schema(
        description = "One optimizer step's figures; a field with no value at that step is null.",
        example = "{\"step\": 40, \"train_loss\": 2.24, \"train_accuracy\": 0.41, "
                + "\"valid_loss\": 2.31, \"valid_accuracy\": 0.39, \"learning_rate\": 0.00198, "
                + "\"update_rms\": 0.6, \"clip_rate\": 0.0, "
                + "\"tokens_per_second\": 3557.5, \"resident_bytes\": 466227200}")
public record MetricPoint(
        int step,
        @Schema(types = {"number", "null"}) Double trainLoss,
        @Schema(types = {"number", "null"}) Double trainAccuracy,
        @Schema(types = {"number", "null"}) Double validLoss,
        @Schema(types = {"number", "null"}) Double validAccuracy,
        @Schema(types = {"number", "null"}) Double learningRate,
        @Schema(types = {"number", "null"}) Double updateRms,
        @Schema(types = {"number", "null"}) Double clipRate,
        @Schema(types = {"number", "null"}) Double tokensPerSecond,
        @Schema(types = {"integer", "null"}) Long residentBytes) {

    /**
     * The figures in the order of the {@code job_metrics} columns, which the results file's columns
     * follow too; a figure the step does not have is null.
     */
    public List<Object> columns() {
        return Arrays.asList(
                step,
                trainLoss,
                trainAccuracy,
                validLoss,
                validAccuracy,
                learningRate,
                updateRms,
                clipRate,
                tokensPerSecond,
                residentBytes);
    }
}
