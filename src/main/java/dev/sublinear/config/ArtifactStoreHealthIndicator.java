package dev.sublinear.config;

import dev.sublinear.storage.ArtifactStore;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.stereotype.Component;

/** Up while the artifact store can be written: uploads, checkpoints and models need it. */
@Component
class ArtifactStoreHealthIndicator implements HealthIndicator {

    private final ArtifactStore artifacts;

    ArtifactStoreHealthIndicator(ArtifactStore artifacts) {
        this.artifacts = artifacts;
    }

    @Override
    public Health health() {
        return artifacts.writable()
                ? Health.up().build()
                : Health.down().withDetail("reason", "not writable").build();
    }
}
