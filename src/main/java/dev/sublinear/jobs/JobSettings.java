package dev.sublinear.jobs;

import java.util.Map;

/**
 * A job's settings with every default filled in: what the worker trains with, kept as JSON in the
 * job's row and shown back to the client.
 */
public record JobSettings(Hyperparameters hyperparameters, Optimizer optimizer, long seed, String suffix,
        Map<String, String> metadata) {

    /** Resolved training length and pieces. {@code learningRate} is null under Adafactor's relative step. */
    public record Hyperparameters(
            int nEpochs,
            int batchSize,
            Double learningRate,
            int maxSteps,
            int warmupSteps,
            int gradientAccumulation,
            int evalIntervalSteps,
            int checkpointIntervalSteps) {}

    /** Resolved optimizer options. */
    public record Optimizer(
            String type,
            double beta1,
            double decayRate,
            double clipThreshold,
            boolean relativeStep,
            boolean scaleParameter,
            boolean warmupInit,
            double epsilon1,
            double epsilon2,
            boolean factored,
            int minDimSizeToFactor,
            double weightDecay) {}
}
