package dev.sublinear.jobs.files;

import dev.sublinear.jobs.common.NewestFirst;
import dev.sublinear.jobs.common.NotFoundException;
import dev.sublinear.jobs.common.Page;
import dev.sublinear.training.data.TaskType;
import java.util.Arrays;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** The {@code files} table. Every read is scoped to a tenant. */
@Repository
class FileStore {

    private static final RowMapper<FileRecord> ROW = (rs, n) -> new FileRecord(
            rs.getString("id"),
            rs.getString("tenant_id"),
            rs.getString("filename"),
            rs.getString("purpose"),
            rs.getLong("bytes"),
            rs.getString("sha256"),
            rs.getString("status"),
            rs.getString("status_details"),
            rs.getString("tasks").isEmpty()
                    ? Set.of()
                    : Arrays.stream(rs.getString("tasks").split(","))
                            .map(TaskType::fromId)
                            .collect(Collectors.toSet()),
            rs.getString("artifact_key"),
            rs.getLong("created_at"));

    private final JdbcClient jdbc;

    FileStore(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    void insert(FileRecord f) {
        jdbc.sql("""
                INSERT INTO files (id, tenant_id, filename, purpose, bytes, sha256, status, status_details, tasks,
                                   artifact_key, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""")
                .params(
                        f.id(),
                        f.tenantId(),
                        f.filename(),
                        f.purpose(),
                        f.bytes(),
                        f.sha256(),
                        f.status(),
                        f.statusDetails(),
                        f.tasks().stream().map(TaskType::id).sorted().collect(Collectors.joining(",")),
                        f.artifactKey(),
                        f.createdAt())
                .update();
    }

    Optional<FileRecord> find(String tenantId, String id) {
        return jdbc.sql("SELECT * FROM files WHERE tenant_id = ? AND id = ?")
                .params(tenantId, id)
                .query(ROW)
                .optional();
    }

    /** Newest first (oldest first when {@code oldestFirst}), after the file {@code after} (exclusive) when given. */
    Page<FileRecord> list(String tenantId, String purpose, String after, boolean oldestFirst, int limit) {
        NewestFirst.Anchor anchor = after == null
                ? null
                : find(tenantId, after)
                        .map(f -> new NewestFirst.Anchor(f.createdAt(), f.id()))
                        .orElseThrow(() -> new NotFoundException("file", after, "after"));
        return NewestFirst.page(
                jdbc, "files", tenantId, purpose == null ? null : "purpose", purpose, anchor, oldestFirst, limit, ROW);
    }

    boolean delete(String tenantId, String id) {
        return jdbc.sql("DELETE FROM files WHERE tenant_id = ? AND id = ?")
                        .params(tenantId, id)
                        .update()
                == 1;
    }
}
