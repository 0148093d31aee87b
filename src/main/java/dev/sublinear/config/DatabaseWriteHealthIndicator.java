package dev.sublinear.config;

import dev.sublinear.storage.StorageFull;
import java.time.Clock;
import java.util.concurrent.locks.ReentrantLock;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.dao.DataAccessException;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Component;

/**
 * Up while the job store can write: rewrites one row and commits. The {@code db} indicator only
 * reads, and a database on a full disk still reads; this one is DOWN then, so the readiness probe
 * takes the process out of service until there is room. Not in liveness: restarting does not free
 * a disk. One probe a second at most, however often health is asked, so that an anonymous flood of
 * health checks cannot become a flood of writes, and never two at once.
 */
@Component
class DatabaseWriteHealthIndicator implements HealthIndicator {

    private static final long REUSE_NANOS = 1_000_000_000L;

    private final JdbcClient jdbc;
    private final Clock clock;
    private final ReentrantLock probing = new ReentrantLock();
    private volatile Probe last;

    DatabaseWriteHealthIndicator(JdbcClient jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    @Override
    public Health health() {
        Probe known = last;
        if (known != null && known.fresh()) {
            return known.health();
        }
        // while one probe waits on a slow database, the other health checks answer with the last result
        if (!probing.tryLock()) {
            return known != null ? known.health() : Health.unknown().build();
        }
        try {
            if (last == null || !last.fresh()) {
                last = new Probe(probe(), System.nanoTime());
            }
            return last.health();
        } finally {
            probing.unlock();
        }
    }

    private record Probe(Health health, long at) {

        boolean fresh() {
            return System.nanoTime() - at <= REUSE_NANOS;
        }
    }

    private Health probe() {
        try {
            long now = clock.millis();
            if (jdbc.sql("UPDATE write_probe SET written_at = ? WHERE id = 1")
                            .param(now)
                            .update()
                    == 0) {
                jdbc.sql("INSERT INTO write_probe (id, written_at) VALUES (1, ?)")
                        .param(now)
                        .update();
            }
            return Health.up().build();
        } catch (DataAccessException e) {
            return Health.down()
                    .withDetail("reason", StorageFull.causedBy(e) ? "disk full" : "cannot write")
                    .build();
        }
    }
}
