package dev.sublinear.api;

import dev.sublinear.jobs.MemoryBreakdown;
import dev.sublinear.jobs.MetricPoint;
import dev.sublinear.jobs.ParameterMemory;
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
     * Optimizer state of the job's model against what Adam would keep ({@code ratio} = state / Adam),
     * and where it goes: per parameter (most saved first, capped at {@code max_parameters}, the rest
     * summed) and per kind. Null until the first step is reported; the breakdown is null where the
     * worker did not report one.
     */
    @Schema(
            description = "Optimizer state held for the model, what Adam would hold, and their ratio; where it goes"
                    + " per parameter (most saved first, at most `max_parameters`, the rest summed in"
                    + " `by_parameter_rest`) and per kind of parameter. `by_parameter` plus `by_parameter_rest`"
                    + " sum to `state_bytes` and `adam_equivalent_bytes`.",
            example = "{\"state_bytes\": 56064, \"adam_equivalent_bytes\": 8094720, "
                    + "\"parameter_bytes\": 4047360, \"ratio\": 0.0069, \"parameter_count\": 2, "
                    + "\"by_parameter\": [{\"name\": \"transformer.wte.weight\", \"shape\": [50257, 768],"
                    + " \"dtype\": \"float32\", \"device\": \"cpu\", \"second_moment\": \"factored\","
                    + " \"kind\": \"embeddings\", \"state_bytes\": 204100, \"adam_equivalent_bytes\": 308779008,"
                    + " \"saved_bytes\": 308574908, \"parameter_bytes\": 154389504}],"
                    + " \"by_parameter_rest\": {\"parameters\": 1, \"state_bytes\": 3072,"
                    + " \"adam_equivalent_bytes\": 6144}, \"by_kind\": [{\"kind\": \"embeddings\","
                    + " \"parameters\": 1, \"state_bytes\": 204100, \"adam_equivalent_bytes\": 308779008,"
                    + " \"parameter_bytes\": 154389504}]}")
    public record OptimizerMemory(
            long stateBytes,
            long adamEquivalentBytes,
            long parameterBytes,
            double ratio,

            @Schema(
                    types = {"integer", "null"},
                    description = "The model's parameters (tensors)")
            Integer parameterCount,

            @Schema(nullable = true) List<ParameterMemory> byParameter,
            @Schema(nullable = true) MemoryBreakdown.ParameterRest byParameterRest,
            @Schema(nullable = true) List<MemoryBreakdown.KindMemory> byKind) {

        /** The totals with {@code breakdown} beside them, or without one (null fields) where none was reported. */
        static OptimizerMemory of(
                long stateBytes, long adamEquivalentBytes, long parameterBytes, MemoryBreakdown breakdown) {
            double ratio = adamEquivalentBytes == 0 ? 0 : (double) stateBytes / adamEquivalentBytes;
            return breakdown == null
                    ? new OptimizerMemory(
                            stateBytes, adamEquivalentBytes, parameterBytes, ratio, null, null, null, null)
                    : new OptimizerMemory(
                            stateBytes,
                            adamEquivalentBytes,
                            parameterBytes,
                            ratio,
                            breakdown.parameterCount(),
                            breakdown.byParameter(),
                            breakdown.byParameterRest(),
                            breakdown.byKind());
        }
    }
}
