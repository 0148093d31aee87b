package dev.sublinear.jobs;

import java.util.List;
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
            rs.getObject("train_loss", Double.class),
            rs.getObject("valid_loss", Double.class),
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
                INSERT INTO checkpoints (id, job_id, tenant_id, name, step, bytes, train_loss, valid_loss, artifact_key,
                                         created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")
                .params(
                        c.id(),
                        c.jobId(),
                        c.tenantId(),
                        c.name(),
                        c.step(),
                        c.bytes(),
                        c.trainLoss(),
                        c.validLoss(),
                        c.artifactKey(),
                        c.createdAt())
                .update();
    }

    public void delete(String jobId, String name) {
        jdbc.sql("DELETE FROM checkpoints WHERE job_id = ? AND name = ?")
                .params(jobId, name)
                .update();
    }

    /** Newest first. */
    public List<CheckpointRecord> ofJob(String jobId) {
        return jdbc.sql("SELECT * FROM checkpoints WHERE job_id = ? ORDER BY step DESC")
                .param(jobId)
                .query(ROW)
                .list();
    }

    public Optional<CheckpointRecord> find(String tenantId, String id) {
        return jdbc.sql("SELECT * FROM checkpoints WHERE tenant_id = ? AND id = ?")
                .params(tenantId, id)
                .query(ROW)
                .optional();
    }
}
