package dev.sublinear.jobs.tenants;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Default per-tenant limits, under {@code sublinear.limits.*}; an administrator can override each
 * for one tenant.
 *
 * @param maxRunningJobs jobs of a tenant running at once (workers leave the rest queued)
 * @param maxQueuedJobs jobs of a tenant waiting at once (more are refused)
 * @param maxGpus GPUs a tenant's unfinished jobs may ask for together
 * @param maxStorageBytes bytes of files, checkpoints and models a tenant may keep
 * @param requestsPerSecond sustained API requests per second per tenant and API process (bursts of
 *     twice that pass)
 * @param maxUploadBytes the largest single upload
 * @param maxUploadLines the most lines a fine-tune file may have
 */
@Validated
@ConfigurationProperties("sublinear.limits")
public record LimitsProperties(
        @Min(1) @Max(10_000) @DefaultValue("4") int maxRunningJobs,
        @Min(1) @Max(100_000) @DefaultValue("100") int maxQueuedJobs,
        @Min(0) @Max(10_000) @DefaultValue("16") int maxGpus,
        @Min(1) @DefaultValue("107374182400") long maxStorageBytes,
        @Min(1) @Max(1_000_000) @DefaultValue("100") int requestsPerSecond,
        @Min(1) @DefaultValue("1073741824") long maxUploadBytes,
        @Min(1) @DefaultValue("10000000") int maxUploadLines) {}
