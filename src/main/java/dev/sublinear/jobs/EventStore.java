package dev.sublinear.jobs;

import dev.sublinear.jobs.common.Ids;
import dev.sublinear.jobs.common.NotFoundException;
import dev.sublinear.jobs.common.Page;
import java.time.Clock;
import java.util.List;
import org.springframework.jdbc.core.RowMapper;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;

/** The {@code job_events} table: an append-only log per job. */
@Repository
public class EventStore {

    private static final RowMapper<JobEvent> ROW = (rs, n) -> new JobEvent(
            rs.getLong("seq"),
            rs.getString("id"),
            rs.getString("job_id"),
            rs.getLong("created_at"),
            EventLevel.fromId(rs.getString("level")),
            rs.getString("type"),
            rs.getString("message"),
            rs.getString("data"));

    private final JdbcClient jdbc;
    private final Clock clock;

    public EventStore(JdbcClient jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    public void add(String jobId, EventLevel level, String type, String message, String data) {
        jdbc.sql("INSERT INTO job_events (id, job_id, created_at, level, type, "
                        + "message, data) VALUES (?, ?, ?, ?, ?, ?, ?)")
                .params(Ids.next("ftevent"), jobId, clock.millis(), level.id(), type, message, data)
                .update();
    }

    public void info(String jobId, String type, String message) {
        add(jobId, EventLevel.INFO, type, message, null);
    }

    /** Oldest first, after event {@code afterSeq} (exclusive). */
    public List<JobEvent> after(String jobId, long afterSeq, int limit) {
        return jdbc.sql("SELECT * FROM job_events WHERE job_id = ? AND seq > ? ORDER BY seq LIMIT ?")
                .params(jobId, afterSeq, limit)
                .query(ROW)
                .list();
    }

    /** Oldest first, after the event with id {@code after} when given. */
    public Page<JobEvent> page(String jobId, String after, int limit) {
        long seq = 0;
        if (after != null) {
            seq = jdbc.sql("SELECT seq FROM job_events WHERE job_id = ? AND id = ?")
                    .params(jobId, after)
                    .query(Long.class)
                    .optional()
                    .orElseThrow(() -> new NotFoundException("event", after, "after"));
        }
        return Page.of(after(jobId, seq, limit + 1), limit);
    }

    /** The seq of the event with this id in this job, for resuming a stream. */
    public long seqOf(String jobId, String eventId) {
        return jdbc.sql("SELECT seq FROM job_events WHERE job_id = ? AND id = ?")
                .params(jobId, eventId)
                .query(Long.class)
                .optional()
                .orElse(0L);
    }
}
