package dev.sublinear.jobs;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Arrays;
import java.util.Map;
import org.springframework.stereotype.Component;

/**
 * Job counts by status and the queue depth, for Prometheus. Read from the store (shared by every
 * process), at most once a second however often it is scraped.
 */
@Component
public class JobMeters implements MeterBinder {

    private static final long MAX_AGE_MILLIS = 1000;

    private final JobStore jobs;
    private volatile Map<String, Long> counts = Map.of();
    private volatile long readAt;

    public JobMeters(JobStore jobs) {
        this.jobs = jobs;
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Arrays.stream(JobStatus.values())
                .forEach(status -> Gauge.builder("sublinear.jobs", this, m -> m.count(status.id()))
                        .description("jobs by status, across the cluster")
                        .tag("status", status.id())
                        .register(registry));
        Gauge.builder("sublinear.queue.depth", this, m -> m.count(JobStatus.QUEUED.id()))
                .description("jobs waiting for a worker")
                .register(registry);
    }

    private double count(String status) {
        long now = System.currentTimeMillis();
        if (now - readAt > MAX_AGE_MILLIS) {
            try {
                counts = jobs.countByStatus();
                readAt = now;
            } catch (RuntimeException e) {
                return Double.NaN;
            }
        }
        return counts.getOrDefault(status, 0L);
    }
}
