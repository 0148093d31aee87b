package dev.sublinear.jobs;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** The {@code job_metrics} table: one row per optimizer step, read back downsampled. */
@Repository
public class MetricStore {

    private static final RowMapper<MetricPoint> ROW = (rs, n) -> new MetricPoint(
            rs.getInt("step"),
            rs.getObject("train_loss", Double.class),
            rs.getObject("train_accuracy", Double.class),
            rs.getObject("valid_loss", Double.class),
            rs.getObject("valid_accuracy", Double.class),
            rs.getObject("learning_rate", Double.class),
            rs.getObject("update_rms", Double.class),
            rs.getObject("clip_rate", Double.class),
            rs.getObject("tokens_per_second", Double.class),
            rs.getObject("resident_bytes", Long.class));

    private final JdbcClient jdbc;
    private final Clock clock;

    public MetricStore(JdbcClient jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    /** Adds points; a step already stored (a retried flush) is left as it is, in the same statement. */
    public void add(String jobId, List<MetricPoint> points) {
        long now = clock.millis();
        for (MetricPoint p : points) {
            List<Object> row = new ArrayList<>();
            row.add(jobId);
            row.addAll(p.columns());
            row.add(now);
            jdbc.sql("""
                    INSERT INTO job_metrics (job_id, step, train_loss, train_accuracy, valid_loss, valid_accuracy,
                                             learning_rate, update_rms, clip_rate, tokens_per_second, resident_bytes,
                                             created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT DO NOTHING""").params(row).update();
        }
    }

    /** Records a validation result on the step it was taken at. */
    public void evaluation(String jobId, int step, double validLoss, Double accuracy) {
        jdbc.sql("UPDATE job_metrics SET valid_loss = ?, valid_accuracy = ? WHERE job_id = ? AND step = ?")
                .params(validLoss, accuracy, jobId, step)
                .update();
    }

    /** The point recorded for {@code step}, if any. */
    public Optional<MetricPoint> at(String jobId, int step) {
        return jdbc.sql("SELECT * FROM job_metrics WHERE job_id = ? AND step = ?")
                .params(jobId, step)
                .query(ROW)
                .optional();
    }

    /** The newest point at or before {@code step} that has a validation result. */
    public Optional<MetricPoint> latestEvaluation(String jobId, int step) {
        return jdbc.sql("SELECT * FROM job_metrics WHERE job_id = ? AND step <= ? AND valid_loss IS NOT NULL"
                        + " ORDER BY step DESC LIMIT 1")
                .params(jobId, step)
                .query(ROW)
                .optional();
    }

    /** Every recorded step, oldest first, not downsampled (the results file's rows). */
    public List<MetricPoint> all(String jobId) {
        return jdbc.sql("SELECT * FROM job_metrics WHERE job_id = ? ORDER BY step")
                .param(jobId)
                .query(ROW)
                .list();
    }

    public int count(String jobId) {
        return jdbc.sql("SELECT COUNT(*) FROM job_metrics WHERE job_id = ?")
                .param(jobId)
                .query(Integer.class)
                .single();
    }

    /** Forgets steps after {@code step}: a resumed attempt trains them again. */
    public void truncateAfter(String jobId, int step) {
        jdbc.sql("DELETE FROM job_metrics WHERE job_id = ? AND step > ?")
                .params(jobId, step)
                .update();
    }

    /**
     * The series, at most {@code maxPoints} long: a longer one is cut into equal runs of steps and
     * each run is represented by its last step, with its training loss and accuracy the run's means
     * so that the curves keep their level, and with any validation result of the run.
     */
    public List<MetricPoint> series(String jobId, int maxPoints) {
        List<MetricPoint> all = all(jobId);
        if (all.size() <= maxPoints) {
            return all;
        }
        List<MetricPoint> out = new ArrayList<>(maxPoints);
        double per = (double) all.size() / maxPoints;
        for (int b = 0; b < maxPoints; b++) {
            int from = (int) Math.round(b * per);
            int to = (int) Math.round((b + 1) * per);
            double loss = 0;
            int count = 0;
            double trainAccuracy = 0;
            int accuracies = 0;
            Double valid = null;
            Double accuracy = null;
            for (int i = from; i < to; i++) {
                MetricPoint p = all.get(i);
                if (p.trainLoss() != null) {
                    loss += p.trainLoss();
                    count++;
                }
                if (p.trainAccuracy() != null) {
                    trainAccuracy += p.trainAccuracy();
                    accuracies++;
                }
                if (p.validLoss() != null) {
                    valid = p.validLoss();
                    accuracy = p.validAccuracy();
                }
            }
            MetricPoint last = all.get(to - 1);
            out.add(new MetricPoint(
                    last.step(),
                    count == 0 ? null : loss / count,
                    accuracies == 0 ? null : trainAccuracy / accuracies,
                    valid,
                    accuracy,
                    last.learningRate(),
                    last.updateRms(),
                    last.clipRate(),
                    last.tokensPerSecond(),
                    last.residentBytes()));
        }
        return out;
    }
}
