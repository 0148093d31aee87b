package dev.sublinear.jobs.workers;

import java.util.Arrays;
import java.util.List;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** The {@code workers} table: registration and heartbeats. */
@Repository
class WorkerStore {

    private static final RowMapper<WorkerRecord> ROW = (rs, n) -> new WorkerRecord(
            rs.getString("id"),
            rs.getString("host"),
            Arrays.asList(rs.getString("devices").split(",")),
            rs.getInt("gpus"),
            rs.getInt("slots"),
            WorkerStatus.fromId(rs.getString("status")),
            rs.getLong("started_at"),
            rs.getLong("last_heartbeat"),
            rs.getObject("memory_budget_bytes", Long.class));

    private final JdbcClient jdbc;

    WorkerStore(JdbcClient jdbc) {
        this.jdbc = jdbc;
    }

    void register(WorkerRecord w) {
        jdbc.sql("DELETE FROM workers WHERE id = ?").param(w.id()).update();
        jdbc.sql("""
                INSERT INTO workers (id, host, devices, gpus, slots, status, started_at, last_heartbeat,
                                     memory_budget_bytes)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)""")
                .params(
                        w.id(),
                        w.host(),
                        String.join(",", w.devices()),
                        w.gpus(),
                        w.slots(),
                        w.status().id(),
                        w.startedAt(),
                        w.lastHeartbeat(),
                        w.memoryBudgetBytes())
                .update();
    }

    /** Whether the worker's row was there to update (it is removed once the worker was gone long enough). */
    boolean heartbeat(String id, long now) {
        return jdbc.sql("UPDATE workers SET last_heartbeat = ?, status = ? WHERE id = ?")
                        .params(now, WorkerStatus.ONLINE.id(), id)
                        .update()
                > 0;
    }

    void stopped(String id, long now) {
        jdbc.sql("UPDATE workers SET last_heartbeat = ?, status = ? WHERE id = ?")
                .params(now, WorkerStatus.STOPPED.id(), id)
                .update();
    }

    List<WorkerRecord> list() {
        return jdbc.sql("SELECT * FROM workers ORDER BY id").query(ROW).list();
    }

    /** Workers whose last heartbeat (or clean stop) was before {@code before}. */
    List<WorkerRecord> silentSince(long before) {
        return jdbc.sql("SELECT * FROM workers WHERE last_heartbeat < ? ORDER BY id")
                .param(before)
                .query(ROW)
                .list();
    }

    /**
     * Deletes the worker's row if it still holds the heartbeat it was read with: a worker that came
     * back in between, or another process's reaper that removed it first, makes this a no-op.
     */
    boolean remove(WorkerRecord w) {
        return jdbc.sql("DELETE FROM workers WHERE id = ? AND last_heartbeat = ?")
                        .params(w.id(), w.lastHeartbeat())
                        .update()
                > 0;
    }

    /** Workers that heartbeated since {@code since} and did not stop cleanly. */
    List<WorkerRecord> seenSince(long since) {
        return jdbc.sql("SELECT * FROM workers WHERE last_heartbeat >= ? AND status <> ?")
                .params(since, WorkerStatus.STOPPED.id())
                .query(ROW)
                .list();
    }
}
