package dev.sublinear.jobs;

import io.swagger.v3.oas.annotations.media.Schema;
import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMax;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.Pattern;
import jakarta.validation.constraints.Size;
import java.util.Map;
import tools.jackson.databind.JsonNode;

/**
 * A request to fine-tune, as a client sends it: every field but {@code model} and
 * {@code trainingFile} may be left out and takes its default. Ranges are checked here; the rest
 * (files, model, fit) by {@link JobService}.
 */
@Schema(
        name = "JobRequest",
        description = "A fine-tuning request; only `model` and `training_file` are required. Hyperparameters go in"
                + " `method.supervised.hyperparameters` (OpenAI's form) or the deprecated top-level"
                + " `hyperparameters`, not both.",
        example = "{\"model\": \"lm-tiny\", \"training_file\": \"file-abc123\", "
                + "\"validation_file\": \"file-def456\", \"suffix\": \"demo\", "
                + "\"method\": {\"type\": \"supervised\", \"supervised\": {\"hyperparameters\": "
                + "{\"n_epochs\": \"auto\", \"batch_size\": 8, \"eval_interval_steps\": 50}}}, "
                + "\"optimizer\": {\"type\": " + "\"adafactor\", \"beta1\": 0.0}, "
                + "\"resources\": {\"gpus\": 1}, \"priority\": 5, \"metadata\": {\"team\": \"search\"}}")
public record JobRequest(
        @NotBlank @Size(max = 300) String model,
        @NotBlank @Size(max = 64) String trainingFile,
        @Size(max = 64) String validationFile,

        @Pattern(regexp = "causal-lm|classification", message = "must be causal-lm or classification")
        String task,

        @Schema(description = "Deprecated by OpenAI in favour of `method.supervised.hyperparameters`; still taken.")
        @Valid
        HyperparameterRequest hyperparameters,

        @Valid MethodRequest method,
        @Valid OptimizerRequest optimizer,
        @Valid ResourceRequest resources,
        @Min(-100) @Max(100) Integer priority,
        @Min(0) Long seed,

        @Pattern(regexp = "[a-z0-9][a-z0-9-]{0,39}", message = "must be 1 to 40 lower-case letters, digits or '-'")
        String suffix,

        @Size(max = 16) Map<@Size(min = 1, max = 64) String, @Size(max = 512) String> metadata) {

    /**
     * Training length and pieces; null fields take their defaults. {@code n_epochs}, {@code batch_size}
     * and {@code learning_rate_multiplier} are {@code "auto"} or a number, as OpenAI's form has them:
     * kept as the JSON given and checked by {@link JobDefaults}, which names the field as the client
     * sent it (under {@code hyperparameters} or {@code method.supervised.hyperparameters}).
     */
    @Schema(
            description = "Training length and pieces; left-out fields take their defaults (see the API guide).",
            example = "{\"n_epochs\": \"auto\", \"batch_size\": 8, \"max_steps\": 1000, "
                    + "\"eval_interval_steps\": 50, \"checkpoint_interval_steps\": 100}")
    public record HyperparameterRequest(
            @Schema(
                    anyOf = {Auto.class, Integer.class},
                    description = "\"auto\" (resolved from the training examples) or 1 to 1000",
                    example = "\"auto\"")
            JsonNode nEpochs,

            @Schema(
                    anyOf = {Auto.class, Integer.class},
                    description = "\"auto\" (resolved from the training examples) or 1 to 1024",
                    example = "8")
            JsonNode batchSize,

            @Schema(
                    anyOf = {Auto.class, Double.class},
                    example = "\"auto\"",
                    description = "\"auto\" (1) or a factor (0, 100] on the base model's default learning rate;"
                            + " not with learning_rate")
            JsonNode learningRateMultiplier,

            @DecimalMin(value = "0", inclusive = false) @DecimalMax("10")
            Double learningRate,

            @Min(0) @Max(10_000_000) Integer maxSteps,
            @Min(0) @Max(1_000_000) Integer warmupSteps,
            @Min(1) @Max(1024) Integer gradientAccumulation,
            @Min(0) @Max(10_000_000) Integer evalIntervalSteps,
            @Min(0) @Max(10_000_000) Integer checkpointIntervalSteps) {}

    /** The contract's name for {@code "auto"}, the one string an auto-or-number field takes. */
    @Schema(
            name = "Auto",
            type = "string",
            allowableValues = {"auto"},
            description = "Resolved by the service (see the API guide)",
            example = "auto")
    public enum Auto {
        auto
    }

    /**
     * OpenAI's {@code method}: only {@code supervised} is trained here. {@code dpo} and
     * {@code reinforcement} are read so that a request using them is told its method is not
     * supported, instead of hearing of an unknown field.
     */
    @Schema(
            description = "The fine-tuning method: only `supervised` is supported.",
            example = "{\"type\": \"supervised\", \"supervised\": {\"hyperparameters\": {\"n_epochs\": \"auto\"}}}")
    public record MethodRequest(
            @Schema(allowableValues = {"supervised"}) String type,
            @Valid SupervisedRequest supervised,

            @Schema(type = "object", description = "Not supported", example = "{}")
            JsonNode dpo,

            @Schema(type = "object", description = "Not supported", example = "{}")
            JsonNode reinforcement) {}

    /** The supervised method's settings. */
    @Schema(
            description = "Supervised fine-tuning's settings.",
            example = "{\"hyperparameters\": {\"n_epochs\": \"auto\"}}")
    public record SupervisedRequest(@Valid HyperparameterRequest hyperparameters) {}

    /** The optimizer and its options (Adafactor's by default); null fields take their defaults. */
    @Schema(
            description = "The optimizer (Adafactor by default, with the paper's defaults) and its options.",
            example = "{\"type\": \"adafactor\", \"beta1\": 0.9, \"decay_rate\": 0.8, "
                    + "\"clip_threshold\": 1.0, \"weight_decay\": 0.01}")
    public record OptimizerRequest(
            @Pattern(regexp = "adafactor|adam|adamw", message = "must be adafactor, adam or adamw")
            String type,

            @DecimalMin("0") @DecimalMax(value = "1", inclusive = false)
            Double beta1,

            @Schema(
                    description = "A fixed second-moment decay. Adam and AdamW: default 0.999. Adafactor: replaces"
                            + " the increasing decay 1 - t^-decay_rate with this value, "
                            + "bias-corrected as in Adam (the paper's"
                            + " slow-decay setting); leave decay_rate out when giving it.")
            @DecimalMin(value = "0", inclusive = false)
            @DecimalMax(value = "1", inclusive = false)
            Double beta2,

            @DecimalMin(value = "0", inclusive = false) @DecimalMax("1")
            Double decayRate,

            @DecimalMin(value = "0", inclusive = false) @DecimalMax("1000")
            Double clipThreshold,

            Boolean relativeStep,
            Boolean scaleParameter,
            Boolean warmupInit,

            @DecimalMin(value = "0", inclusive = false) @DecimalMax("0.1")
            Double epsilon1,

            @DecimalMin(value = "0", inclusive = false) @DecimalMax("1")
            Double epsilon2,

            Boolean factored,
            @Min(1) @Max(1_000_000_000) Integer minDimSizeToFactor,
            @DecimalMin("0") @DecimalMax("1") Double weightDecay) {}

    /** What the job needs of a worker: 0 GPUs means one device of any kind (a GPU where the worker has one). */
    @Schema(description = "What the job needs: 0 GPUs means one device of any kind.", example = "{\"gpus\": 1}")
    public record ResourceRequest(@Min(0) @Max(64) Integer gpus) {}
}
