package dev.sublinear.jobs.models;

import dev.sublinear.training.data.TaskType;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** The {@code models} table: fine-tuned models (catalog architectures are not stored). */
@Repository
class ModelStore {

    private static final RowMapper<ModelRecord> ROW = (rs, n) -> new ModelRecord(
            rs.getString("id"),
            rs.getString("tenant_id"),
            rs.getString("base_model"),
            rs.getString("job_id"),
            TaskType.fromId(rs.getString("task")),
            rs.getString("artifact_key"),
            rs.getLong("bytes"),
            rs.getLong("created_at"));

    private final JdbcClient jdbc;

    ModelStore(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    void insert(ModelRecord m) {
        jdbc.sql("""
                INSERT INTO models (id, tenant_id, base_model, job_id, task, artifact_key, bytes, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)""")
                .params(
                        m.id(),
                        m.tenantId(),
                        m.baseModel(),
                        m.jobId(),
                        m.task().id(),
                        m.artifactKey(),
                        m.bytes(),
                        m.createdAt())
                .update();
    }

    Optional<ModelRecord> find(String tenantId, String id) {
        return jdbc.sql("SELECT * FROM models WHERE tenant_id = ? AND id = ?")
                .params(tenantId, id)
                .query(ROW)
                .optional();
    }

    /** Newest first. */
    List<ModelRecord> list(String tenantId) {
        return jdbc.sql("SELECT * FROM models WHERE tenant_id = ? ORDER BY created_at DESC, id DESC")
                .param(tenantId)
                .query(ROW)
                .list();
    }

    boolean delete(String tenantId, String id) {
        return jdbc.sql("DELETE FROM models WHERE tenant_id = ? AND id = ?")
                        .params(tenantId, id)
                        .update()
                == 1;
    }
}
