package dev.sublinear.worker;

import dev.sublinear.jobs.queue.Attempts;
import dev.sublinear.jobs.workers.WorkerRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.Locale;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.type.AnnotatedTypeMetadata;

/** Creates the worker in processes whose {@code sublinear.roles} include {@code worker} (the default). */
@Configuration(proxyBeanMethods = false)
class WorkerConfiguration {

    @Bean
    @Conditional(WorkerRole.class)
    Worker worker(
            JobRunner runner,
            Attempts attempts,
            WorkerRegistry workers,
            WorkerProperties properties,
            Clock clock,
            MeterRegistry meters) {
        return new Worker(runner, attempts, workers, properties, clock, meters);
    }

    static final class WorkerRole implements Condition {
        @Override
        public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
            return Binder.get(context.getEnvironment())
                    .bind("sublinear.roles", Bindable.listOf(String.class))
                    .map(roles -> roles.stream()
                            .anyMatch(r -> r.trim().toLowerCase(Locale.ROOT).equals("worker")))
                    .orElse(true);
        }
    }
}
