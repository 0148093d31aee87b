package dev.sublinear.api;

import dev.sublinear.jobs.MetricPoint;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/**
 * A job's training curves and its optimizer's memory.
 *
 * @param downsampled whether {@code data} was cut to fewer points than the job's steps
 */
@Schema(
        description = "A job's per-step curves (downsampled past `max_points`) and its optimizer's memory.",
        example = "{\"object\": \"fine_tuning.job.metrics\", \"job_id\": \"ftjob-abc123\", "
                + "\"data\": [{\"step\": 1, \"train_loss\": 5.2, \"train_accuracy\": 0.04, "
                + "\"valid_loss\": null, \"valid_accuracy\": null, \"learning_rate\": 0.00198, \"update_rms\": 0.82, "
                + "\"clip_rate\": 0.03, \"tokens_per_second\": 1599.2, "
                + "\"resident_bytes\": 466227200}], \"downsampled\": false, "
                + "\"optimizer_memory\": {\"state_bytes\": 56064, "
                + "\"adam_equivalent_bytes\": 8094720, \"parameter_bytes\": 4047360, \"ratio\": 0.0069}}")
public record MetricsObject(
        String object,
        String jobId,
        List<MetricPoint> data,
        boolean downsampled,
        @Schema(nullable = true) OptimizerMemory optimizerMemory) {

    /**
     * Optimizer state of the job's model against what Adam would keep ({@code ratio} = state / Adam).
     * Null until the first step is reported.
     */
    @Schema(
            description = "Optimizer state held for the model, what Adam would hold, and their ratio.",
            example = "{\"state_bytes\": 56064, \"adam_equivalent_bytes\": 8094720, "
                    + "\"parameter_bytes\": 4047360, \"ratio\": 0.0069}")
    public record OptimizerMemory(long stateBytes, long adamEquivalentBytes, long parameterBytes, double ratio) {}
}
