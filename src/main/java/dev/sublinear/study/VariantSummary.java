package dev.sublinear.study;

import java.util.Arrays;
import java.util.List;

/**
 * A variant's runs over all seeds, reduced to what the table shows.
 *
 * @param variant the variant
 * @param runs its runs, one per seed
 */
public record VariantSummary(Variant variant, List<RunResult> runs) {

    public VariantSummary {
        runs = List.copyOf(runs);
    }

    /** Final validation losses of the runs that finished. */
    double[] finalLosses() {
        return runs.stream()
                .filter(r -> !r.failed())
                .mapToDouble(RunResult::finalValidLoss)
                .toArray();
    }

    /** Mean final validation loss over all seeds; infinite when a seed failed. */
    public double meanLoss() {
        return failedRuns() > 0 ? Double.POSITIVE_INFINITY : mean(finalLosses());
    }

    /** Sample standard deviation of the final validation loss over the seeds that finished. */
    public double lossDeviation() {
        double[] v = finalLosses();
        if (v.length < 2) {
            return 0;
        }
        double m = mean(v);
        double sum = 0;
        for (double x : v) {
            sum += (x - m) * (x - m);
        }
        return Math.sqrt(sum / (v.length - 1));
    }

    /** Largest minus smallest final validation loss over the seeds that finished. */
    public double lossRange() {
        double[] v = finalLosses();
        return v.length == 0
                ? 0
                : Arrays.stream(v).max().getAsDouble() - Arrays.stream(v).min().getAsDouble();
    }

    public double minLoss() {
        return Arrays.stream(finalLosses()).min().orElse(Double.NaN);
    }

    public double maxLoss() {
        return Arrays.stream(finalLosses()).max().orElse(Double.NaN);
    }

    public double meanExactMatch() {
        return mean(runs.stream().mapToDouble(RunResult::exactMatch).toArray());
    }

    public double minExactMatch() {
        return runs.stream().mapToDouble(RunResult::exactMatch).min().orElse(Double.NaN);
    }

    public double maxExactMatch() {
        return runs.stream().mapToDouble(RunResult::exactMatch).max().orElse(Double.NaN);
    }

    public double exactMatchRange() {
        return maxExactMatch() - minExactMatch();
    }

    public long failedRuns() {
        return runs.stream().filter(RunResult::failed).count();
    }

    /** Runs that failed, ended above their starting validation loss, or spiked. */
    public long unstableRuns() {
        return runs.stream().filter(VariantSummary::unstable).count();
    }

    static boolean unstable(RunResult r) {
        return r.failed()
                || r.finalValidLoss() >= r.initialValidLoss()
                || Instability.of(r.trainLosses()).spikes() > 0;
    }

    public int spikes() {
        return runs.stream()
                .mapToInt(r -> Instability.of(r.trainLosses()).spikes())
                .sum();
    }

    public double worstSpikeRatio() {
        return runs.stream()
                .mapToDouble(r -> Instability.of(r.trainLosses()).worstRatio())
                .max()
                .orElse(1);
    }

    /** Optimizer state bytes (the same for every seed: it depends on shapes and options only). */
    public long stateBytes() {
        return runs.stream().mapToLong(RunResult::stateBytes).max().orElse(0);
    }

    public long adamBytes() {
        return runs.stream().mapToLong(RunResult::adamBytes).max().orElse(0);
    }

    /** Median over seeds of each run's median step time. */
    public double stepMillis() {
        double[] v = runs.stream()
                .mapToDouble(RunResult::stepMillis)
                .filter(Double::isFinite)
                .sorted()
                .toArray();
        return v.length == 0 ? Double.NaN : v[v.length / 2];
    }

    private static double mean(double[] values) {
        return values.length == 0 ? Double.NaN : Arrays.stream(values).average().getAsDouble();
    }
}
