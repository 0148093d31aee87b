package dev.sublinear.jobs;

import dev.sublinear.jobs.common.JobReferences;
import dev.sublinear.jobs.common.NewestFirst;
import dev.sublinear.jobs.common.NotFoundException;
import dev.sublinear.jobs.common.Page;
import dev.sublinear.training.data.TaskType;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import tools.jackson.databind.json.JsonMapper;

/**
 * The {@code jobs} table as clients and the status machine see it. Claims, leases and a worker's
 * writes to a job it holds are in {@code jobs.queue.JobQueue}.
 */
@Repository
public class JobStore implements JobReferences {

    /** The statuses a job can still leave, as an SQL list: {@code ('queued', 'running', 'paused')}. */
    public static final String UNFINISHED = Arrays.stream(JobStatus.values())
            .filter(s -> !s.terminal())
            .map(s -> "'" + s.id() + "'")
            .collect(Collectors.joining(", ", "(", ")"));

    private final JdbcClient jdbc;
    private final JsonMapper json;
    private final RowMapper<JobRecord> row = this::map;

    public JobStore(JdbcClient jdbc, JsonMapper json) {
        this.jdbc = jdbc;
        this.json = json;
    }

    public void insert(JobRecord j, String idempotencyKey) {
        insert(j, idempotencyKey, null);
    }

    /** @param memoryEstimateBytes the job's estimated memory (null: not estimated; any worker may take it) */
    public void insert(JobRecord j, String idempotencyKey, Long memoryEstimateBytes) {
        jdbc.sql("""
                INSERT INTO jobs (id, tenant_id, model, training_file, validation_file, task, settings, gpus, priority,
                                  status, idempotency_key, attempt, max_attempts, step, total_steps, trained_tokens,
                                  created_at, memory_estimate_bytes)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, 0, 0, 0, ?, ?)""")
                .params(
                        j.id(),
                        j.tenantId(),
                        j.model(),
                        j.trainingFile(),
                        j.validationFile(),
                        j.task().id(),
                        json.writeValueAsString(j.settings()),
                        j.gpus(),
                        j.priority(),
                        j.status().id(),
                        idempotencyKey,
                        j.claim().maxAttempts(),
                        j.times().createdAt(),
                        memoryEstimateBytes)
                .update();
    }

    public Optional<JobRecord> find(String tenantId, String id) {
        return jdbc.sql("SELECT * FROM jobs WHERE tenant_id = ? AND id = ?")
                .params(tenantId, id)
                .query(row)
                .optional();
    }

    /** Any tenant's job: for workers and the lease reaper, never for client requests. */
    public Optional<JobRecord> find(String id) {
        return jdbc.sql("SELECT * FROM jobs WHERE id = ?").param(id).query(row).optional();
    }

    public Optional<JobRecord> findByIdempotencyKey(String tenantId, String key) {
        return jdbc.sql("SELECT * FROM jobs WHERE tenant_id = ? AND idempotency_key = ?")
                .params(tenantId, key)
                .query(row)
                .optional();
    }

    /** Rows read per query while filtering by metadata. */
    private static final int METADATA_SCAN_ROWS = 200;

    /**
     * Newest first, after job {@code after} (exclusive) when given, with {@code status} when given,
     * whose metadata holds every pair of {@code metadata}. Metadata is inside the settings JSON,
     * which H2 and PostgreSQL query differently: it is matched here, reading newest first until a
     * page and one more match are found, so {@code has_more} and {@code after} stay exact.
     */
    public Page<JobRecord> list(
            String tenantId, JobStatus status, Map<String, String> metadata, String after, int limit) {
        NewestFirst.Anchor anchor = after == null
                ? null
                : find(tenantId, after)
                        .map(j -> new NewestFirst.Anchor(j.times().createdAt(), j.id()))
                        .orElseThrow(() -> new NotFoundException("job", after, "after"));
        if (metadata.isEmpty()) {
            return page(tenantId, status, anchor, limit);
        }
        List<JobRecord> matches = new ArrayList<>();
        while (true) {
            Page<JobRecord> scanned = page(tenantId, status, anchor, METADATA_SCAN_ROWS);
            for (JobRecord j : scanned.data()) {
                Map<String, String> own = j.settings().metadata();
                if (own != null && own.entrySet().containsAll(metadata.entrySet())) {
                    matches.add(j);
                    if (matches.size() > limit) {
                        return Page.of(matches, limit);
                    }
                }
            }
            if (!scanned.hasMore()) {
                return Page.of(matches, limit);
            }
            JobRecord last = scanned.data().get(scanned.data().size() - 1);
            anchor = new NewestFirst.Anchor(last.times().createdAt(), last.id());
        }
    }

    private Page<JobRecord> page(String tenantId, JobStatus status, NewestFirst.Anchor anchor, int limit) {
        return NewestFirst.page(
                jdbc,
                "jobs",
                tenantId,
                status == null ? null : "status",
                status == null ? null : status.id(),
                anchor,
                false,
                limit,
                row);
    }

    @Override
    public List<String> unfinishedJobsUsing(String tenantId, String fileId) {
        return jdbc.sql("SELECT id FROM jobs WHERE tenant_id = ? AND status IN " + UNFINISHED
                        + " AND (training_file = ? OR validation_file = ? OR model = ?) ORDER BY id")
                .params(tenantId, fileId, fileId, fileId)
                .query(String.class)
                .list();
    }

    @Override
    public void forgetResultFile(String tenantId, String fileId) {
        jdbc.sql("UPDATE jobs SET result_file = NULL WHERE tenant_id = ? AND result_file = ?")
                .params(tenantId, fileId)
                .update();
    }

    /**
     * Jobs ahead of a queued one in the order workers claim ({@code JobQueue.claim}), should none
     * finish meanwhile and any worker take any job: its own tenant's ahead of it by priority and age,
     * and from every other tenant as many as the fair order takes first. The job goes when its tenant
     * has as many jobs running as it has now plus those ahead of it (its level); another tenant's
     * jobs go before it until that tenant reaches the same level, and one more if that tenant has
     * waited longer.
     */
    public int queuePosition(JobRecord job) {
        long own = jdbc.sql("""
                SELECT COUNT(*) FROM jobs WHERE status = 'queued' AND tenant_id = ?
                  AND (priority > ? OR (priority = ? AND (created_at < ? OR (created_at = ? AND id < ?))))""")
                .params(
                        job.tenantId(),
                        job.priority(),
                        job.priority(),
                        job.times().createdAt(),
                        job.times().createdAt(),
                        job.id())
                .query(Long.class)
                .single();
        record Tenant(String id, long running, long queued, Long oldest) {}
        List<Tenant> tenants = jdbc.sql("""
                SELECT tenant_id, SUM(CASE WHEN status = 'running' THEN 1 ELSE 0 END) AS running,
                       SUM(CASE WHEN status = 'queued' THEN 1 ELSE 0 END) AS queued,
                       MIN(CASE WHEN status = 'queued' THEN created_at END) AS oldest
                FROM jobs WHERE status IN ('queued', 'running') GROUP BY tenant_id""")
                .query((rs, n) -> new Tenant(
                        rs.getString("tenant_id"),
                        rs.getLong("running"),
                        rs.getLong("queued"),
                        rs.getObject("oldest", Long.class)))
                .list();
        Tenant mine = tenants.stream()
                .filter(t -> t.id().equals(job.tenantId()))
                .findFirst()
                .orElse(new Tenant(job.tenantId(), 0, 1, job.times().createdAt()));
        long level = mine.running() + own;
        long ahead = own;
        for (Tenant t : tenants) {
            if (t.id().equals(mine.id()) || t.queued() == 0) {
                continue;
            }
            boolean waitedLonger =
                    t.oldest() < mine.oldest() || (t.oldest().equals(mine.oldest()) && t.id().compareTo(mine.id()) < 0);
            ahead += Math.max(0, Math.min(t.queued(), level - t.running() + (waitedLonger ? 1 : 0)));
        }
        return (int) ahead;
    }

    /** Moves a job from one status to another; false if it was no longer in {@code from}. */
    public boolean transition(String id, JobStatus from, JobStatus to, long now) {
        String finished = to.terminal() ? ", finished_at = ?" : "";
        var spec = jdbc.sql("UPDATE jobs SET status = ?, requested_action = NULL" + finished
                        + " WHERE id = ? AND status = ?")
                .param(to.id());
        if (to.terminal()) {
            spec = spec.param(now);
        }
        return spec.param(id).param(from.id()).update() == 1;
    }

    /** Marks a running job for the worker to cancel or pause at its next heartbeat. */
    public boolean request(String id, RequestedAction action) {
        return jdbc.sql("UPDATE jobs SET requested_action = ? WHERE id = ? AND status = 'running'")
                        .params(action.id(), id)
                        .update()
                == 1;
    }

    public boolean fail(String id, JobStatus from, JobRecord.Failure failure, long now) {
        return jdbc.sql("""
                UPDATE jobs SET status = 'failed', error_code = ?, error_message = ?, error_param = ?, finished_at = ?,
                                requested_action = NULL, worker_id = NULL, lease_expires_at = NULL
                WHERE id = ? AND status = ?""")
                        .params(failure.code().id(), failure.message(), failure.param(), now, id, from.id())
                        .update()
                == 1;
    }

    /** Counts by status, for metrics. */
    public Map<String, Long> countByStatus() {
        Map<String, Long> counts = new TreeMap<>();
        jdbc.sql("SELECT status, COUNT(*) AS n FROM jobs GROUP BY status").query((ResultSet rs) -> {
            while (rs.next()) {
                counts.put(rs.getString("status"), rs.getLong("n"));
            }
            return counts;
        });
        return counts;
    }

    private JobRecord map(ResultSet rs, int n) throws SQLException {
        Long stateBytes = rs.getObject("state_bytes", Long.class);
        String errorCode = rs.getString("error_code");
        return new JobRecord(
                rs.getString("id"),
                rs.getString("tenant_id"),
                rs.getString("model"),
                rs.getString("training_file"),
                rs.getString("validation_file"),
                TaskType.fromId(rs.getString("task")),
                json.readValue(rs.getString("settings"), JobSettings.class),
                rs.getInt("gpus"),
                rs.getInt("priority"),
                JobStatus.valueOf(rs.getString("status").toUpperCase(Locale.ROOT)),
                RequestedAction.fromId(rs.getString("requested_action")),
                new JobRecord.Claim(
                        rs.getString("worker_id"),
                        rs.getString("devices"),
                        rs.getInt("attempt"),
                        rs.getInt("max_attempts"),
                        rs.getObject("lease_expires_at", Long.class)),
                new JobRecord.Progress(
                        rs.getInt("step"),
                        rs.getInt("total_steps"),
                        rs.getObject("eta_seconds", Double.class),
                        rs.getLong("trained_tokens")),
                stateBytes == null
                        ? null
                        : new JobRecord.Memory(
                                stateBytes, rs.getLong("adam_equivalent_bytes"), rs.getLong("parameter_bytes")),
                rs.getString("latest_checkpoint"),
                rs.getString("fine_tuned_model"),
                rs.getString("result_file"),
                errorCode == null
                        ? null
                        : new JobRecord.Failure(
                                FailureCode.fromId(errorCode),
                                rs.getString("error_message"),
                                rs.getString("error_param")),
                new JobRecord.Times(
                        rs.getLong("created_at"),
                        rs.getObject("started_at", Long.class),
                        rs.getObject("finished_at", Long.class)));
    }
}
