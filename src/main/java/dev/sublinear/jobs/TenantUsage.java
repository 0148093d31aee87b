package dev.sublinear.jobs;

import dev.sublinear.jobs.common.StoredBytes;
import io.swagger.v3.oas.annotations.media.Schema;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Service;

/** What a tenant uses now, checked against its limits when it asks for more. */
@Service
public class TenantUsage {

    /** A tenant's jobs, GPUs and stored bytes at this moment. */
    @Schema(
            description = "What a tenant uses now.",
            example = "{\"running_jobs\": 1," + " \"queued_jobs\": 0, \"gpus\": 1, \"storage_bytes\": 3770414}")
    public record Usage(int runningJobs, int queuedJobs, int gpus, long storageBytes) {}

    private final JdbcClient jdbc;
    private final StoredBytes stored;

    public TenantUsage(JdbcClient jdbc, StoredBytes stored) {
        this.jdbc = jdbc;
        this.stored = stored;
    }

    public Usage of(String tenantId) {
        int running = count("SELECT COUNT(*) FROM jobs WHERE tenant_id = ? AND status = 'running'", tenantId);
        int queued = count("SELECT COUNT(*) FROM jobs WHERE tenant_id = ? AND status = 'queued'", tenantId);
        int gpus = count(
                "SELECT COALESCE(SUM(gpus), 0) FROM jobs WHERE tenant_id = ? AND status IN " + JobStore.UNFINISHED,
                tenantId);
        return new Usage(running, queued, gpus, stored.of(tenantId));
    }

    private int count(String sql, String tenantId) {
        return jdbc.sql(sql).param(tenantId).query(Integer.class).single();
    }
}
