package dev.sublinear.api;

import dev.sublinear.jobs.TenantUsage;
import dev.sublinear.jobs.tenants.TenantLimits;
import dev.sublinear.jobs.tenants.Tenants;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/** {@code /v1/limits}: the caller's limits and what it uses of them. */
@RestController
@Tag(name = "Limits")
class LimitsController {

    private final Tenants tenants;
    private final TenantUsage usage;
    private final Tenant tenant;

    LimitsController(Tenants tenants, TenantUsage usage, Tenant tenant) {
        this.tenants = tenants;
        this.usage = usage;
        this.tenant = tenant;
    }

    @Schema(
            description = "The caller's limits and current use.",
            example = "{\"object\": \"limits\", \"tenant_id\":"
                    + " \"acme\", \"limits\": {\"max_running_jobs\": 4, \"max_queued_jobs\": 100, \"max_gpus\": 16,"
                    + " \"max_storage_bytes\": 107374182400, \"requests_per_second\": "
                    + "100, \"max_upload_bytes\": 1073741824,"
                    + " \"max_upload_lines\": 10000000}, \"usage\": {\"running_jobs\": 1, "
                    + "\"queued_jobs\": 0, \"gpus\": 1,"
                    + " \"storage_bytes\": 3770414}}")
    record LimitsObject(String object, String tenantId, TenantLimits limits, TenantUsage.Usage usage) {}

    @GetMapping("/v1/limits")
    @Operation(
            operationId = "getLimits",
            summary = "Your limits and usage",
            description = "Running and queued jobs, GPUs of unfinished jobs, stored bytes, request rate and upload"
                    + " limits, with what the tenant uses now.")
    LimitsObject limits() {
        String id = tenant.current();
        return new LimitsObject("limits", id, tenants.limits(id), usage.of(id));
    }
}
