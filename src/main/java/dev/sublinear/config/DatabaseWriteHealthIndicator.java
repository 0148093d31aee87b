package dev.sublinear.config;

import dev.sublinear.storage.StorageFull;
import java.time.Clock;
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
 * health checks cannot become a flood of writes.
 */
@Component
class DatabaseWriteHealthIndicator implements HealthIndicator {

    private static final long REUSE_NANOS = 1_000_000_000L;

    private final JdbcClient jdbc;
    private final Clock clock;
    private Health last;
    private long lastAt;

    DatabaseWriteHealthIndicator(JdbcClient jdbc, Clock clock) {
        this.jdbc = jdbc;
        this.clock = clock;
    }

    @Override
    public synchronized Health health() {
        long now = System.nanoTime();
        if (last == null || now - lastAt > REUSE_NANOS) {
            last = probe();
            lastAt = System.nanoTime();
        }
        return last;
    }

    private Health probe() {
        try {
            jdbc.sql("UPDATE write_probe SET written_at = ? WHERE id = 1").param(clock.millis()).update();
            return Health.up().build();
        } catch (DataAccessException e) {
            return Health.down().withDetail("reason", StorageFull.causedBy(e) ? "disk full" : "cannot write").build();
        }
    }
}
