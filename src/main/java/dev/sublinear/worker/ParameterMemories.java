package dev.sublinear.worker;

import dev.sublinear.jobs.ParameterMemory;
import dev.sublinear.training.run.ParameterFootprint;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** The training run's per-parameter memory as the jobs store keeps it. */
final class ParameterMemories {

    private ParameterMemories() {}

    static List<ParameterMemory> of(List<ParameterFootprint> footprints) {
        return footprints.stream().map(ParameterMemories::of).toList();
    }

    private static ParameterMemory of(ParameterFootprint p) {
        return ParameterMemory.of(
                p.name(),
                Arrays.stream(p.shape()).boxed().toList(),
                p.dtype(),
                String.join(",", p.devices()),
                p.secondMoment().name().toLowerCase(Locale.ROOT),
                p.kind().id(),
                p.stateBytes(),
                p.adamEquivalentBytes(),
                p.parameterBytes());
    }
}
