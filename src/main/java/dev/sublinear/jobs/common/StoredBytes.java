package dev.sublinear.jobs.common;

import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/** The bytes a tenant stores: its files, its models and its jobs' checkpoints, as recorded. */
@Component
public class StoredBytes {

    private final JdbcClient jdbc;

    public StoredBytes(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    public long of(String tenantId) {
        return jdbc.sql("""
                SELECT (SELECT COALESCE(SUM(bytes), 0) FROM files WHERE tenant_id = ?)
                     + (SELECT COALESCE(SUM(bytes), 0) FROM models WHERE tenant_id = ?)
                     + (SELECT COALESCE(SUM(bytes), 0) FROM checkpoints WHERE tenant_id = ?)""")
                .params(tenantId, tenantId, tenantId)
                .query(Long.class)
                .single();
    }
}
