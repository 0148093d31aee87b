package dev.sublinear.worker;

import dev.sublinear.jobs.MetricPoint;
import dev.sublinear.training.run.EvaluationReport;
import dev.sublinear.training.run.StepReport;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * An attempt's metric points, added on the training thread and written by the heartbeat, so that a
 * step never waits for the database. Points a failed write could not store stay for the next one.
 */
final class MetricBuffer {

    private final List<MetricPoint> pending = new ArrayList<>();

    /** Buffers a step's point. */
    synchronized void add(StepReport r) {
        StepReport.Diagnostics d = r.diagnostics();
        pending.add(new MetricPoint(
                r.progress().step(),
                finite(r.trainLoss()),
                null,
                null,
                finite(d.stepSize()),
                finite(d.updateRms()),
                finite(d.clipRate()),
                finite(r.throughput().tokensPerSecond()),
                r.memory().residentBytes()));
    }

    /** Folds a validation result into its step's buffered point; false when that point was already written. */
    synchronized boolean addEvaluation(EvaluationReport r) {
        for (int i = 0; i < pending.size(); i++) {
            MetricPoint p = pending.get(i);
            if (p.step() == r.step()) {
                pending.set(
                        i,
                        new MetricPoint(
                                p.step(),
                                p.trainLoss(),
                                finite(r.validLoss()),
                                finite(r.accuracy()),
                                p.learningRate(),
                                p.updateRms(),
                                p.clipRate(),
                                p.tokensPerSecond(),
                                p.residentBytes()));
                return true;
            }
        }
        return false;
    }

    /** Writes what is buffered; when the write throws, the points stay (ahead of newer ones) and it rethrows. */
    void flushTo(Consumer<List<MetricPoint>> write) {
        List<MetricPoint> points;
        synchronized (this) {
            points = List.copyOf(pending);
            pending.clear();
        }
        if (points.isEmpty()) {
            return;
        }
        try {
            write.accept(points);
        } catch (RuntimeException e) {
            synchronized (this) {
                pending.addAll(0, points);
            }
            throw e;
        }
    }

    static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }
}
