package dev.sublinear.config;

import dev.sublinear.worker.Worker;
import java.util.Optional;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/** The in-process worker's state; up (with no details) in processes without the worker role. */
@Component
class WorkerHealthIndicator implements HealthIndicator {

    private final ObjectProvider<Worker> worker;

    WorkerHealthIndicator(ObjectProvider<Worker> worker) {
        this.worker = worker;
    }

    @Override
    public Health health() {
        Optional<Worker> w = Optional.ofNullable(worker.getIfAvailable());
        if (w.isEmpty()) {
            return Health.up().withDetail("role", "none").build();
        }
        return w.get().healthy()
                ? Health.up()
                        .withDetail("id", w.get().id())
                        .withDetail("running", w.get().runningJobs())
                        .build()
                : Health.down().withDetail("id", w.get().id()).build();
    }
}
