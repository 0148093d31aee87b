package dev.sublinear.jobs.tenants;

import io.swagger.v3.oas.annotations.media.Schema;

/**
 * The limits in force for one tenant: its own where an administrator set them, else the defaults.
 * Field meanings as in {@link LimitsProperties}.
 */
@Schema(
        description = "The limits in force for a tenant.",
        example = "{\"max_running_jobs\":"
                + " 4, \"max_queued_jobs\": 100, \"max_gpus\": 16, \"max_storage_bytes\": "
                + "107374182400, \"requests_per_second\":"
                + " 100, \"max_upload_bytes\": 1073741824, \"max_upload_lines\": 10000000}")
public record TenantLimits(
        int maxRunningJobs,
        int maxQueuedJobs,
        int maxGpus,
        long maxStorageBytes,
        int requestsPerSecond,
        long maxUploadBytes,
        int maxUploadLines) {

    /** Overrides, each null where the default applies. */
    public record Overrides(
            Integer maxRunningJobs,
            Integer maxQueuedJobs,
            Integer maxGpus,
            Long maxStorageBytes,
            Integer requestsPerSecond,
            Long maxUploadBytes,
            Integer maxUploadLines) {

        public static final Overrides NONE = new Overrides(null, null, null, null, null, null, null);

        TenantLimits over(LimitsProperties d) {
            return new TenantLimits(
                    maxRunningJobs != null ? maxRunningJobs : d.maxRunningJobs(),
                    maxQueuedJobs != null ? maxQueuedJobs : d.maxQueuedJobs(),
                    maxGpus != null ? maxGpus : d.maxGpus(),
                    maxStorageBytes != null ? maxStorageBytes : d.maxStorageBytes(),
                    requestsPerSecond != null ? requestsPerSecond : d.requestsPerSecond(),
                    maxUploadBytes != null ? maxUploadBytes : d.maxUploadBytes(),
                    maxUploadLines != null ? maxUploadLines : d.maxUploadLines());
        }
    }
}
