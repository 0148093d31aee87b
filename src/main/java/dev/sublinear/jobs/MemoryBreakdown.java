package dev.sublinear.jobs;

import dev.sublinear.training.model.ParameterKind;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Where a job's optimizer memory goes: the parameters that save the most against Adam first, up to
 * a cap, what the cap left out in one sum, and a sum per kind of parameter.
 *
 * @param parameterCount the model's parameters (tensors)
 * @param byParameter the first {@code max} parameters by bytes saved, most first; ties by name
 * @param byParameterRest the parameters left out of {@code byParameter}, summed
 * @param byKind one entry per kind, in a fixed order, every kind present
 */
public record MemoryBreakdown(
        int parameterCount, List<ParameterMemory> byParameter, ParameterRest byParameterRest, List<KindMemory> byKind) {

    /** The parameters a cap left out, summed. */
    @Schema(
            description = "The parameters not listed in `by_parameter`, summed (zeros when none were left out).",
            example = "{\"parameters\": 14, \"state_bytes\": 10752, \"adam_equivalent_bytes\": 21504}")
    public record ParameterRest(int parameters, long stateBytes, long adamEquivalentBytes) {}

    /** One kind's parameters, summed. */
    @Schema(
            description = "One kind of parameter, summed.",
            example = "{\"kind\": \"attention\", \"parameters\": 48, \"state_bytes\": 331776,"
                    + " \"adam_equivalent_bytes\": 226492416, \"parameter_bytes\": 113246208}")
    public record KindMemory(
            @Schema(allowableValues = {"embeddings", "attention", "mlp", "norms_and_biases", "head", "other"})
            String kind,

            int parameters,
            long stateBytes,
            long adamEquivalentBytes,
            long parameterBytes) {

        static KindMemory of(String kind, List<ParameterMemory> parameters) {
            return new KindMemory(
                    kind,
                    parameters.size(),
                    parameters.stream().mapToLong(ParameterMemory::stateBytes).sum(),
                    parameters.stream()
                            .mapToLong(ParameterMemory::adamEquivalentBytes)
                            .sum(),
                    parameters.stream()
                            .mapToLong(ParameterMemory::parameterBytes)
                            .sum());
        }
    }

    /** Most saved first, then by name, so that a page is the same at every read. */
    static final Comparator<ParameterMemory> ORDER =
            Comparator.comparingLong(ParameterMemory::savedBytes).reversed().thenComparing(ParameterMemory::name);

    /** The breakdown of {@code all}, listing at most {@code max} parameters. */
    public static MemoryBreakdown of(List<ParameterMemory> all, int max) {
        List<ParameterMemory> sorted = all.stream().sorted(ORDER).toList();
        List<ParameterMemory> listed = sorted.subList(0, Math.min(max, sorted.size()));
        List<ParameterMemory> rest = sorted.subList(listed.size(), sorted.size());
        ParameterRest restSum = new ParameterRest(
                rest.size(),
                rest.stream().mapToLong(ParameterMemory::stateBytes).sum(),
                rest.stream().mapToLong(ParameterMemory::adamEquivalentBytes).sum());
        Map<String, List<ParameterMemory>> ofKind = new LinkedHashMap<>();
        for (ParameterKind kind : ParameterKind.values()) {
            ofKind.put(kind.id(), new ArrayList<>());
        }
        all.forEach(
                p -> ofKind.computeIfAbsent(p.kind(), k -> new ArrayList<>()).add(p));
        List<KindMemory> byKind = ofKind.entrySet().stream()
                .map(e -> KindMemory.of(e.getKey(), e.getValue()))
                .toList();
        return new MemoryBreakdown(all.size(), List.copyOf(listed), restSum, byKind);
    }
}
