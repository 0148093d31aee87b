package dev.sublinear.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.sublinear.jobs.CheckpointRecord;
import io.swagger.v3.oas.annotations.media.Schema;

/**
 * A checkpoint, as OpenAI's SDKs read it ({@code FineTuningJobCheckpoint}), with our {@code name}
 * and {@code bytes} beside. Its id is also its {@code fine_tuned_model_checkpoint}: the service
 * takes a checkpoint id as a model for inference and as a new job's base model, so the one name
 * serves both.
 *
 * @param stepNumber the optimizer step it was written after (what our {@code step} field was)
 * @param name our name for it within the job ({@code step-00000100})
 * @param bytes the size of its archive
 */
@Schema(
        description = "A checkpoint; its id (also its `fine_tuned_model_checkpoint`) can be a model for inference"
                + " and a new job's `model`.",
        example = "{\"id\": \"ftckpt-abc123\", \"object\": \"fine_tuning.job.checkpoint\", \"created_at\": 1795586219,"
                + " \"fine_tuning_job_id\": \"ftjob-abc123\", \"fine_tuned_model_checkpoint\": \"ftckpt-abc123\","
                + " \"step_number\": 100, \"metrics\": {\"step\": 100, \"train_loss\": 1.56,"
                + " \"train_mean_token_accuracy\": 0.61, \"valid_loss\": 1.71, \"valid_mean_token_accuracy\": 0.58,"
                + " \"full_valid_loss\": 1.71, \"full_valid_mean_token_accuracy\": 0.58},"
                + " \"name\": \"step-00000100\", \"bytes\": 3770414}")
public record CheckpointObject(
        String id,
        String object,
        long createdAt,
        String fineTuningJobId,
        String fineTunedModelCheckpoint,
        int stepNumber,
        CheckpointMetrics metrics,
        String name,
        long bytes) {

    /**
     * The checkpoint's figures; a figure with no value is left out. {@code train_*} are the
     * checkpoint's step's; {@code valid_*} the newest validation at or before that step. A
     * validation here always covers the whole validation file, so {@code full_valid_*} equal
     * {@code valid_*}. Accuracies are mean token accuracies (causal LM) or the fraction of rows
     * right (classification).
     */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @Schema(
            description = "The step's training figures and the newest validation at or before it; absent figures are"
                    + " left out. `full_valid_*` equal `valid_*` (every validation covers the whole file).",
            example = "{\"step\": 100, \"train_loss\": 1.56, \"train_mean_token_accuracy\": 0.61,"
                    + " \"valid_loss\": 1.71, \"valid_mean_token_accuracy\": 0.58, \"full_valid_loss\": 1.71,"
                    + " \"full_valid_mean_token_accuracy\": 0.58}")
    public record CheckpointMetrics(
            double step,
            Double trainLoss,
            Double trainMeanTokenAccuracy,
            Double validLoss,
            Double validMeanTokenAccuracy,
            Double fullValidLoss,
            Double fullValidMeanTokenAccuracy) {}

    static CheckpointObject of(CheckpointRecord c) {
        CheckpointRecord.Metrics m = c.metrics();
        return new CheckpointObject(
                c.id(),
                "fine_tuning.job.checkpoint",
                c.createdAt() / 1000,
                c.jobId(),
                c.id(),
                c.step(),
                new CheckpointMetrics(
                        c.step(),
                        m.trainLoss(),
                        m.trainAccuracy(),
                        m.validLoss(),
                        m.validAccuracy(),
                        m.validLoss(),
                        m.validAccuracy()),
                c.name(),
                c.bytes());
    }
}
