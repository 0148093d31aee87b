package dev.sublinear.api;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * How the HTTP edge protects itself from slow and greedy clients, under {@code sublinear.http.*}.
 *
 * @param maxRequestsPerClient requests one client address may have in progress at once; past it,
 *     429 at once (0: no bound, for a deployment where every request comes through one proxy address
 *     that bounds clients itself)
 * @param bodyGrace how long a request body may take before its rate is checked
 * @param bodyMinRate the slowest average rate a request body may arrive at after the grace; a
 *     slower one is cut off with 408, so a client sending a byte now and then cannot hold a thread
 */
@Validated
@ConfigurationProperties("sublinear.http")
public record HttpProperties(
        @Min(0) @Max(100_000) @DefaultValue("64") int maxRequestsPerClient,
        @NotNull @DefaultValue("10s") Duration bodyGrace,
        @NotNull @DefaultValue("8KB") DataSize bodyMinRate) {

    /** Seconds a body of {@code bytes} may take in all. */
    public double bodySeconds(long bytes) {
        return bodyGrace.toMillis() / 1000.0 + (double) bytes / Math.max(1, bodyMinRate.toBytes());
    }
}
