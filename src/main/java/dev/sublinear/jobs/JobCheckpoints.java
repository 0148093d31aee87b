package dev.sublinear.jobs;

import dev.sublinear.jobs.common.NotFoundException;
import dev.sublinear.jobs.common.Page;
import java.util.Optional;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** The {@code checkpoints} table. */
@Repository
public class JobCheckpoints {

    private static final RowMapper<CheckpointRecord> ROW = (rs, n) -> new CheckpointRecord(
            rs.getString("id"),
            rs.getString("job_id"),
            rs.getString("tenant_id"),
            rs.getString("name"),
            rs.getInt("step"),
            rs.getLong("bytes"),
            new CheckpointRecord.Metrics(
                    rs.getObject("train_loss", Double.class),
                    rs.getObject("train_accuracy", Double.class),
                    rs.getObject("valid_loss", Double.class),
                    rs.getObject("valid_accuracy", Double.class)),
            rs.getString("artifact_key"),
            rs.getLong("created_at"));

    private final JdbcClient jdbc;

    public JobCheckpoints(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    /** Records a checkpoint, replacing one of the same name (a resumed attempt writes it again). */
    public void put(CheckpointRecord c) {
        jdbc.sql("DELETE FROM checkpoints WHERE job_id = ? AND name = ?")
                .params(c.jobId(), c.name())
                .update();
        jdbc.sql("""
                INSERT INTO checkpoints (id, job_id, tenant_id, name, step, bytes, train_loss, train_accuracy,
                                         valid_loss, valid_accuracy, artifact_key, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")
                .params(
                        c.id(),
                        c.jobId(),
                        c.tenantId(),
                        c.name(),
                        c.step(),
                        c.bytes(),
                        c.metrics().trainLoss(),
                        c.metrics().trainAccuracy(),
                        c.metrics().validLoss(),
                        c.metrics().validAccuracy(),
                        c.artifactKey(),
                        c.createdAt())
                .update();
    }

    public void delete(String jobId, String name) {
        jdbc.sql("DELETE FROM checkpoints WHERE job_id = ? AND name = ?")
                .params(jobId, name)
                .update();
    }

    /**
     * Newest first (by step: a job's checkpoints are one per step), after the checkpoint {@code after}
     * (exclusive) when given, at most {@code limit} and one more to tell whether more follow.
     */
    public Page<CheckpointRecord> page(String jobId, String after, int limit) {
        int below = Integer.MAX_VALUE;
        if (after != null) {
            below = jdbc.sql("SELECT step FROM checkpoints WHERE job_id = ? AND id = ?")
                    .params(jobId, after)
                    .query(Integer.class)
                    .optional()
                    .orElseThrow(() -> new NotFoundException("checkpoint", after, "after"));
        }
        return Page.of(
                jdbc.sql("SELECT * FROM checkpoints WHERE job_id = ? AND step < ? ORDER BY step DESC LIMIT ?")
                        .params(jobId, below, limit + 1)
                        .query(ROW)
                        .list(),
                limit);
    }

    public Optional<CheckpointRecord> find(String tenantId, String id) {
        return jdbc.sql("SELECT * FROM checkpoints WHERE tenant_id = ? AND id = ?")
                .params(tenantId, id)
                .query(ROW)
                .optional();
    }
}
