package dev.sublinear.jobs;

import com.fasterxml.jackson.annotation.JsonUnwrapped;
import dev.sublinear.optimizer.AdafactorOptions;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.Map;

/**
 * A job's settings with every default filled in: what the worker trains with, kept as JSON in the
 * job's row and shown back to the client.
 */
public record JobSettings(
        Hyperparameters hyperparameters,
        Optimizer optimizer,
        long seed,
        @Schema(types = {"string", "null"}) String suffix,
        Map<String, String> metadata) {

    /**
     * Resolved training length and pieces. {@code learningRate} and {@code learningRateMultiplier}
     * are null under Adafactor's relative step; the multiplier is the learning rate over the base
     * model's default rate for the optimizer, and is null in rows stored before it was kept.
     */
    @Schema(
            description = "The resolved training length and pieces (\"auto\" resolved to numbers); `learning_rate` and"
                    + " `learning_rate_multiplier` are null under Adafactor's relative step.",
            example = "{\"n_epochs\": 3, \"batch_size\": 8, \"learning_rate\": null, "
                    + "\"max_steps\": 0, \"warmup_steps\": 0, "
                    + "\"gradient_accumulation\": 1, \"eval_interval_steps\": 0, \"checkpoint_interval_steps\": 100,"
                    + " \"learning_rate_multiplier\": null}")
    public record Hyperparameters(
            int nEpochs,
            int batchSize,
            @Schema(types = {"number", "null"}) Double learningRate,
            int maxSteps,
            int warmupSteps,
            int gradientAccumulation,
            int evalIntervalSteps,
            int checkpointIntervalSteps,
            @Schema(types = {"number", "null"}) Double learningRateMultiplier) {}

    /** The same settings with another batch size: an "auto" batch size shrunk to what a worker's memory takes. */
    JobSettings withBatchSize(int batchSize) {
        Hyperparameters h = hyperparameters;
        return new JobSettings(
                new Hyperparameters(
                        h.nEpochs(),
                        batchSize,
                        h.learningRate(),
                        h.maxSteps(),
                        h.warmupSteps(),
                        h.gradientAccumulation(),
                        h.evalIntervalSteps(),
                        h.checkpointIntervalSteps(),
                        h.learningRateMultiplier()),
                optimizer,
                seed,
                suffix,
                metadata);
    }

    /**
     * The optimizer and its options with every default filled in, stored and shown flat beside
     * {@code type}. Adam and AdamW use {@code beta1}, {@code beta2} and {@code weight_decay}.
     */
    @Schema(
            description = "The resolved optimizer options; `beta2` is null for Adafactor's increasing decay"
                    + " 1 - t^-decay_rate.",
            example = "{\"type\": \"adafactor\", \"beta1\": 0.0, \"beta2\": null,"
                    + " \"decay_rate\": 0.8, \"clip_threshold\": 1.0, \"relative_step\": "
                    + "true, \"scale_parameter\": true,"
                    + " \"warmup_init\": false, \"epsilon1\": 1e-30, \"epsilon2\": 0.001, \"factored\": true,"
                    + " \"min_dim_size_to_factor\": 1, \"weight_decay\": 0.0}")
    public record Optimizer(
            @Schema(allowableValues = {"adafactor", "adam", "adamw"})
            String type,

            @JsonUnwrapped AdafactorOptions options) {}
}
