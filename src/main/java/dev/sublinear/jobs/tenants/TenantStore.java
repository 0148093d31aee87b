package dev.sublinear.jobs.tenants;

import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.List;
import java.util.Optional;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** The {@code tenants} and {@code api_keys} tables. */
@Repository
class TenantStore {

    private static final RowMapper<TenantRecord> TENANT = TenantStore::tenant;
    private static final RowMapper<ApiKeyRecord> KEY = (rs, n) -> new ApiKeyRecord(
            rs.getString("id"),
            rs.getString("tenant_id"),
            rs.getString("name"),
            rs.getString("hint"),
            rs.getBoolean("admin"),
            rs.getLong("created_at"),
            rs.getObject("revoked_at", Long.class));

    private final JdbcClient jdbc;

    TenantStore(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    void insert(TenantRecord t) {
        jdbc.sql("INSERT INTO tenants (id, name, created_at) VALUES (?, ?, ?)")
                .params(t.id(), t.name(), t.createdAt())
                .update();
        setOverrides(t.id(), t.overrides());
    }

    void setOverrides(String id, TenantLimits.Overrides o) {
        jdbc.sql("""
                UPDATE tenants SET max_running_jobs = ?, max_queued_jobs = ?, max_gpus = ?, max_storage_bytes = ?,
                                   requests_per_second = ?, max_upload_bytes = ?, max_upload_lines = ?
                WHERE id = ?""")
                .params(
                        o.maxRunningJobs(),
                        o.maxQueuedJobs(),
                        o.maxGpus(),
                        o.maxStorageBytes(),
                        o.requestsPerSecond(),
                        o.maxUploadBytes(),
                        o.maxUploadLines(),
                        id)
                .update();
    }

    Optional<TenantRecord> find(String id) {
        return jdbc.sql("SELECT * FROM tenants WHERE id = ?")
                .param(id)
                .query(TENANT)
                .optional();
    }

    List<TenantRecord> list() {
        return jdbc.sql("SELECT * FROM tenants ORDER BY created_at, id")
                .query(TENANT)
                .list();
    }

    /** Stores a key; {@code bootstrap} marks the admin key the service made itself at start-up. */
    void insertKey(ApiKeyRecord k, String hash, boolean bootstrap) {
        jdbc.sql("""
                INSERT INTO api_keys (id, tenant_id, name, hint, key_hash, admin, created_at, bootstrap)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)""")
                .params(k.id(), k.tenantId(), k.name(), k.hint(), hash, k.admin(), k.createdAt(), bootstrap)
                .update();
    }

    /** The key with this hash, working or revoked. */
    Optional<ApiKeyRecord> findAnyKeyByHash(String hash) {
        return jdbc.sql("SELECT * FROM api_keys WHERE key_hash = ?")
                .param(hash)
                .query(KEY)
                .optional();
    }

    /** Revokes every working start-up key but the one with {@code keptHash}; returns how many. */
    int revokeBootstrapKeysExcept(String keptHash, long now) {
        return jdbc.sql("UPDATE api_keys SET revoked_at = ? WHERE bootstrap = TRUE AND revoked_at IS NULL"
                        + " AND key_hash <> ?")
                .params(now, keptHash)
                .update();
    }

    /** The working key with this hash. */
    Optional<ApiKeyRecord> findKeyByHash(String hash) {
        return jdbc.sql("SELECT * FROM api_keys WHERE key_hash = ? AND revoked_at IS NULL")
                .param(hash)
                .query(KEY)
                .optional();
    }

    boolean anyAdminKey() {
        return jdbc.sql("SELECT COUNT(*) FROM api_keys WHERE admin = TRUE AND revoked_at IS NULL")
                        .query(Integer.class)
                        .single()
                > 0;
    }

    List<ApiKeyRecord> keys(String tenantId) {
        return jdbc.sql("SELECT * FROM api_keys WHERE tenant_id = ? ORDER BY created_at, id")
                .param(tenantId)
                .query(KEY)
                .list();
    }

    boolean revoke(String keyId, long now) {
        return jdbc.sql("UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL")
                        .params(now, keyId)
                        .update()
                == 1;
    }

    private static TenantRecord tenant(ResultSet rs, int n) throws SQLException {
        return new TenantRecord(
                rs.getString("id"),
                rs.getString("name"),
                new TenantLimits.Overrides(
                        rs.getObject("max_running_jobs", Integer.class),
                        rs.getObject("max_queued_jobs", Integer.class),
                        rs.getObject("max_gpus", Integer.class),
                        rs.getObject("max_storage_bytes", Long.class),
                        rs.getObject("requests_per_second", Integer.class),
                        rs.getObject("max_upload_bytes", Long.class),
                        rs.getObject("max_upload_lines", Integer.class)),
                rs.getLong("created_at"));
    }
}
