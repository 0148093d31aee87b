package dev.sublinear.jobs.common;

import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * Keyset paging of a tenant's rows, newest first (or oldest first where a list takes {@code order}):
 * a page after row {@code anchor} continues at the next older (created_at, id), or the next newer,
 * so pages stay stable while rows are added.
 */
public final class NewestFirst {

    /** The row a page continues after. */
    public record Anchor(long createdAt, String id) {}

    private NewestFirst() {}

    /**
     * @param filterColumn an optional equality filter's column (null: none)
     * @param anchor the row to continue after, or null for the first page
     * @param oldestFirst whether the page runs from old to new (OpenAI's {@code order=asc})
     * @return up to {@code limit} rows; {@code hasMore} when more follow
     */
    public static <T> Page<T> page(
            JdbcClient jdbc,
            String table,
            String tenantId,
            String filterColumn,
            Object filterValue,
            Anchor anchor,
            boolean oldestFirst,
            int limit,
            RowMapper<T> row) {
        String filter = filterColumn == null ? "" : " AND " + filterColumn + " = ?";
        String beyond = oldestFirst ? ">" : "<";
        String direction = oldestFirst ? "ASC" : "DESC";
        String cursor =
                anchor == null ? "" : " AND (created_at " + beyond + " ? OR (created_at = ? AND id " + beyond + " ?))";
        var spec = jdbc.sql("SELECT * FROM " + table + " WHERE tenant_id = ?" + filter + cursor
                        + " ORDER BY created_at " + direction + ", id " + direction + " LIMIT ?")
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
