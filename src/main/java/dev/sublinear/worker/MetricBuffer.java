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
    /** Points being written by {@link #flushTo}: taken from pending, not yet in the store. */
    private List<MetricPoint> writing = List.of();
    /** Validation results for points being written, applied once their rows exist. */
    private final List<EvaluationReport> afterWrite = new ArrayList<>();
    /** Held through a whole flush, so that two never interleave; never while holding {@code this}. */
    private final Object flushing = new Object();

    /** Buffers a step's point. */
    synchronized void add(StepReport r) {
        StepReport.Diagnostics d = r.diagnostics();
        pending.add(new MetricPoint(
                r.progress().step(),
                finite(r.trainLoss()),
                finite(r.trainAccuracy()),
                null,
                null,
                finite(d.stepSize()),
                finite(d.updateRms()),
                finite(d.clipRate()),
                finite(r.throughput().tokensPerSecond()),
                r.memory().residentBytes()));
    }

    /**
     * Folds a validation result into its step's buffered point, or keeps it for after the write of
     * that point in progress (an update before the row exists would be lost); false when that point
     * was already written.
     */
    synchronized boolean addEvaluation(EvaluationReport r) {
        if (fold(r)) {
            return true;
        }
        if (writing.stream().anyMatch(p -> p.step() == r.step())) {
            afterWrite.add(r);
            return true;
        }
        return false;
    }

    private boolean fold(EvaluationReport r) {
        for (int i = 0; i < pending.size(); i++) {
            MetricPoint p = pending.get(i);
            if (p.step() == r.step()) {
                pending.set(
                        i,
                        new MetricPoint(
                                p.step(),
                                p.trainLoss(),
                                p.trainAccuracy(),
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

    /**
     * Writes what is buffered, then the validation results that came for those points meanwhile
     * ({@code update}); when the write throws, the points stay (ahead of newer ones, the results
     * folded in) and it rethrows. Flushes take turns (the heartbeat's and the attempt's last).
     */
    void flushTo(Consumer<List<MetricPoint>> write, Consumer<EvaluationReport> update) {
        synchronized (flushing) {
            flushOnce(write, update);
        }
    }

    private void flushOnce(Consumer<List<MetricPoint>> write, Consumer<EvaluationReport> update) {
        List<MetricPoint> points;
        synchronized (this) {
            points = List.copyOf(pending);
            pending.clear();
            writing = points;
        }
        if (points.isEmpty()) {
            return;
        }
        List<EvaluationReport> late;
        try {
            write.accept(points);
        } catch (RuntimeException e) {
            synchronized (this) {
                pending.addAll(0, points);
                writing = List.of();
                afterWrite.forEach(this::fold);
                afterWrite.clear();
            }
            throw e;
        }
        synchronized (this) {
            writing = List.of();
            late = List.copyOf(afterWrite);
            afterWrite.clear();
        }
        late.forEach(update);
    }

    static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }
}
