package dev.sublinear.jobs.common;

import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Keyset paging of a tenant's rows, newest first: a page after row {@code anchor} continues at the
 * next older (created_at, id), so pages stay stable while rows are added.
 */
public final class NewestFirst {

    /** The row a page continues after. */
    public record Anchor(long createdAt, String id) {}

    private NewestFirst() {}

    /**
     * @param filterColumn an optional equality filter's column (null: none)
     * @param anchor the row to continue after, or null for the first page
     */
    public static <T> Page<T> page(
            JdbcClient jdbc,
            String table,
            String tenantId,
            String filterColumn,
            Object filterValue,
            Anchor anchor,
            int limit,
            RowMapper<T> row) {
        String filter = filterColumn == null ? "" : " AND " + filterColumn + " = ?";
        String cursor = anchor == null ? "" : " AND (created_at < ? OR (created_at = ? AND id < ?))";
        var spec = jdbc.sql("SELECT * FROM " + table + " WHERE tenant_id = ?" + filter + cursor
                        + " ORDER BY created_at DESC, id DESC LIMIT ?")
                .param(tenantId);
        if (filterColumn != null) {
            spec = spec.param(filterValue);
        }
        if (anchor != null) {
            spec = spec.param(anchor.createdAt()).param(anchor.createdAt()).param(anchor.id());
        }
        return Page.of(spec.param(limit + 1).query(row).list(), limit);
    }
}
