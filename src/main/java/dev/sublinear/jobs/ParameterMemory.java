package dev.sublinear.jobs;

import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/**
 * One model parameter's optimizer memory, as the worker reports it (bytes summed over its devices).
 *
 * @param name the parameter's name in its model: the Hugging Face name for an imported model
 * @param device where it lives: {@code cpu}, {@code gpu:0} (as the job's {@code devices}); several joined by commas
 * @param secondMoment factored (row and column sums), full, or none (no state kept for it)
 * @param kind embeddings, attention, mlp, norms_and_biases, head or other
 * @param savedBytes what the optimizer saves on it against Adam: adamEquivalentBytes - stateBytes
 */
@Schema(
        description = "One parameter's optimizer state against what Adam would keep for it.",
        example = "{\"name\": \"transformer.h.0.mlp.c_fc.weight\", \"shape\": [768, 3072], \"dtype\": \"float32\","
                + " \"device\": \"gpu:0\", \"second_moment\": \"factored\", \"kind\": \"mlp\","
                + " \"state_bytes\": 15360, \"adam_equivalent_bytes\": 18874368, \"saved_bytes\": 18859008,"
                + " \"parameter_bytes\": 9437184}")
public record ParameterMemory(
        String name,
        List<Long> shape,
        String dtype,

        @Schema(
                description = "`cpu` or `gpu:i`, as in the job's `devices`; a parameter on several devices lists"
                        + " them joined by commas, and its bytes are summed over them")
        String device,

        @Schema(allowableValues = {"factored", "full", "none"})
        String secondMoment,

        @Schema(allowableValues = {"embeddings", "attention", "mlp", "norms_and_biases", "head", "other"})
        String kind,

        long stateBytes,
        long adamEquivalentBytes,

        @Schema(description = "adam_equivalent_bytes - state_bytes")
        long savedBytes,

        long parameterBytes) {

    /** {@code savedBytes} is part of the record so that it is in the JSON; it must be the difference. */
    public ParameterMemory {
        shape = List.copyOf(shape);
        if (savedBytes != adamEquivalentBytes - stateBytes) {
            throw new IllegalArgumentException(
                    "saved bytes " + savedBytes + " are not " + adamEquivalentBytes + " - " + stateBytes);
        }
    }

    /** A parameter's memory, its savings against Adam computed. */
    public static ParameterMemory of(
            String name,
            List<Long> shape,
            String dtype,
            String device,
            String secondMoment,
            String kind,
            long stateBytes,
            long adamEquivalentBytes,
            long parameterBytes) {
        return new ParameterMemory(
                name,
                shape,
                dtype,
                device,
                secondMoment,
                kind,
                stateBytes,
                adamEquivalentBytes,
                adamEquivalentBytes - stateBytes,
                parameterBytes);
    }
}
