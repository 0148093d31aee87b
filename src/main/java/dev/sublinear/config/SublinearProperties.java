package dev.sublinear.config;

import jakarta.validation.constraints.NotEmpty;
import jakarta.validation.constraints.NotNull;
import java.nio.file.Path;
import java.util.Set;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * The service's own settings, under {@code sublinear.*}. Validated at start-up: a bad value stops
 * the process with a message naming the property.
 *
 * @param roles what this process does: {@code api} (the HTTP edge), {@code worker} (trains jobs),
 *     or both (the default, one machine)
 * @param dataDir where the embedded database, artifacts and scratch space live (default {@code ./data})
 * @param artifactsDir the artifact store: files, checkpoints, models (default {@code <data-dir>/artifacts});
 *     in a cluster, a volume every API and worker process mounts
 */
@Validated
@ConfigurationProperties("sublinear")
public record SublinearProperties(
        @NotEmpty @DefaultValue({"api", "worker"}) Set<Role> roles,
        @NotNull @DefaultValue("./data") Path dataDir,
        Path artifactsDir) {

    /** A role a process can take. */
    public enum Role {
        API,
        WORKER
    }

    public Path artifacts() {
        return artifactsDir != null ? artifactsDir : dataDir.resolve("artifacts");
    }

    public boolean has(Role role) {
        return roles.contains(role);
    }
}
