package dev.sublinear.api;

import dev.sublinear.jobs.MetricPoint;
import java.util.List;

/**
 * A job's training curves and its optimizer's memory.
 *
 * @param downsampled whether {@code data} was cut to fewer points than the job's steps
 */
public record MetricsObject(String object, String jobId, List<MetricPoint> data, boolean downsampled,
        OptimizerMemory optimizerMemory) {

    /**
     * Optimizer state of the job's model against what Adam would keep ({@code ratio} = state / Adam).
     * Null until the first step is reported.
     */
    public record OptimizerMemory(long stateBytes, long adamEquivalentBytes, long parameterBytes, double ratio) {}
}
