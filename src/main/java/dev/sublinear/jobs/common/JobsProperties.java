package dev.sublinear.jobs.common;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * Limits and policies of the job service, under {@code sublinear.jobs.*}.
 *
 * @param maxFileBytes the largest upload accepted
 * @param maxAttempts how many times a job is started before a platform failure (lost workers) fails it
 * @param metricsPoints the most points a metrics response holds; longer series are downsampled
 * @param workerRetention a worker unseen for longer no longer counts when checking that a job fits
 * @param orphanGrace at start-up, an artifact no database row names (an upload stored but never
 *     recorded, a crashed attempt's model or checkpoint) and a cut-off write's temporary file are
 *     removed once untouched for this long; in a cluster another replica may be between storing
 *     an upload and recording it, so keep it well above the slowest upload's validation
 * @param reaperInterval how often expired leases and gone workers are looked for
 * @param workerTimeout a worker silent for longer is shown as lost (match the workers' lease duration)
 * @param removeGoneWorkersAfter a worker that stopped, or was lost, this long ago (by its last
 *     heartbeat) is deleted from the workers table and leaves {@code GET /v1/workers}; longer than
 *     {@code worker-timeout}, so a worker that is merely late is never removed
 * @param maxModelBytes the largest model, counted as the bytes its files take unpacked: a worker
 *     stores no larger fine-tuned model, and unpacks up to this much of a base model, as inference
 *     does of a model it loads, so that every model stored can be loaded (give API and worker
 *     processes the same value)
 */
@Validated
@ConfigurationProperties("sublinear.jobs")
public record JobsProperties(
        @Min(1) @DefaultValue("1073741824") long maxFileBytes,
        @Min(1) @Max(100) @DefaultValue("3") int maxAttempts,
        @Min(10) @Max(100000) @DefaultValue("500") int metricsPoints,
        @NotNull @DefaultValue("1h") Duration workerRetention,
        @NotNull @DefaultValue("1h") Duration orphanGrace,
        @NotNull @DefaultValue("2s") Duration reaperInterval,
        @NotNull @DefaultValue("30s") Duration workerTimeout,
        @NotNull @DefaultValue("24h") Duration removeGoneWorkersAfter,
        @Min(1) @DefaultValue("17179869184") long maxModelBytes) {

    public JobsProperties {
        if (workerTimeout != null
                && removeGoneWorkersAfter != null
                && removeGoneWorkersAfter.compareTo(workerTimeout) <= 0) {
            throw new IllegalArgumentException("sublinear.jobs.remove-gone-workers-after (" + removeGoneWorkersAfter
                    + ") must be longer than sublinear.jobs.worker-timeout (" + workerTimeout
                    + "): a worker is removed only once it is lost");
        }
    }
}
