package dev.sublinear.api;

import dev.sublinear.jobs.tenants.ApiKeyRecord;
import dev.sublinear.jobs.tenants.TenantLimits;
import dev.sublinear.jobs.tenants.TenantRecord;
import dev.sublinear.jobs.tenants.Tenants;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.Size;
import org.springframework.http.HttpStatus;
import org.springframework.security.access.prepost.PreAuthorize;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code /v1/admin}: tenants, their API keys and limits. Needs an admin key: the security chain
 * checks the routed path, and every handler here checks its caller again, so no spelling of a path
 * that reaches these handlers can skip the check.
 */
@RestController
@PreAuthorize("hasRole('ADMIN')")
@Tag(name = "Admin")
@RequestMapping("/v1/admin")
class AdminController {

    private final Tenants tenants;

    AdminController(Tenants tenants) {
        this.tenants = tenants;
    }

    @Schema(description = "A new tenant.", example = "{\"id\": \"acme\", \"name\": \"Acme Corp\"}")
    record TenantRequest(
            @Size(max = 64) String id, @Size(max = 200) String name) {}

    @Schema(
            description = "A tenant and the limits in force for it.",
            example = "{\"id\": \"acme\", \"object\": \"tenant\", \"name\": \"Acme Corp\", \"created_at\": 1795586200}")
    record TenantObject(String id, String object, String name, long createdAt, TenantLimits limits) {}

    @Schema(description = "A new API key.", example = "{\"name\": \"ci\", \"admin\": false}")
    record KeyRequest(@Size(max = 200) String name, Boolean admin) {}

    @Schema(
            description = "An API key; `secret` is shown only in the answer to its creation.",
            example = "{\"id\": \"key-abc123\", \"object\": \"api_key\", \"tenant_id\": \"acme\", \"name\": \"ci\","
                    + " \"hint\": \"…x9Qa\", \"admin\": false, \"created_at\": 1795586200, \"revoked_at\": null,"
                    + " \"secret\": \"sl-…\"}")
    record KeyObject(
            String id,
            String object,
            String tenantId,
            String name,
            String hint,
            boolean admin,
            long createdAt,
            @Schema(types = {"integer", "null"}) Long revokedAt,
            @Schema(types = {"string", "null"}) String secret) {

        static KeyObject of(ApiKeyRecord k, String secret) {
            return new KeyObject(
                    k.id(),
                    "api_key",
                    k.tenantId(),
                    k.name(),
                    k.hint(),
                    k.admin(),
                    k.createdAt() / 1000,
                    k.revokedAt() == null ? null : k.revokedAt() / 1000,
                    secret);
        }
    }

    @Schema(
            description = "Limit overrides for one tenant; a null field takes the configured default.",
            example =
                    "{\"max_running_jobs\": 2, \"max_queued_jobs\": 20, \"max_gpus\": 4, \"requests_per_second\": 50}")
    record LimitsRequest(
            @Min(1) @Max(10_000) Integer maxRunningJobs,
            @Min(1) @Max(100_000) Integer maxQueuedJobs,
            @Min(0) @Max(10_000) Integer maxGpus,
            @Min(1) Long maxStorageBytes,
            @Min(1) @Max(1_000_000) Integer requestsPerSecond,
            @Min(1) Long maxUploadBytes,
            @Min(1) Integer maxUploadLines) {}

    @PostMapping("/tenants")
    @ResponseStatus(HttpStatus.CREATED)
    @Operation(
            operationId = "createTenant",
            summary = "Create a tenant",
            description = "A tenant owns files, jobs, checkpoints and models; no other tenant can see them.")
    TenantObject createTenant(@Valid @RequestBody TenantRequest request) {
        return view(tenants.createTenant(request.id(), request.name()));
    }

    @GetMapping("/tenants")
    @Operation(operationId = "listTenants", summary = "List tenants", description = "Every tenant, oldest first.")
    ListObject<TenantObject> listTenants() {
        return ListObject.of(tenants.tenants().stream().map(this::view).toList(), false, TenantObject::id);
    }

    @GetMapping("/tenants/{tenant_id}")
    @Operation(operationId = "retrieveTenant", summary = "Get a tenant", description = "The tenant and its limits.")
    TenantObject tenant(@PathVariable("tenant_id") String id) {
        return view(tenants.tenant(id));
    }

    @PutMapping("/tenants/{tenant_id}/limits")
    @Operation(
            operationId = "setTenantLimits",
            summary = "Set a tenant's limits",
            description = "Replaces the tenant's overrides; fields left null take the configured defaults.")
    TenantObject setLimits(@PathVariable("tenant_id") String id, @Valid @RequestBody LimitsRequest r) {
        tenants.setLimits(
                id,
                new TenantLimits.Overrides(
                        r.maxRunningJobs(),
                        r.maxQueuedJobs(),
                        r.maxGpus(),
                        r.maxStorageBytes(),
                        r.requestsPerSecond(),
                        r.maxUploadBytes(),
                        r.maxUploadLines()));
        return view(tenants.tenant(id));
    }

    @PostMapping("/tenants/{tenant_id}/keys")
    @ResponseStatus(HttpStatus.CREATED)
    @Operation(
            operationId = "createApiKey",
            summary = "Create an API key",
            description = "The answer holds the key's secret; it is never shown again (only its hash is kept).")
    KeyObject createKey(@PathVariable("tenant_id") String id, @Valid @RequestBody KeyRequest request) {
        Tenants.NewKey key = tenants.createKey(id, request.name(), Boolean.TRUE.equals(request.admin()));
        return KeyObject.of(key.key(), key.secret());
    }

    @GetMapping("/tenants/{tenant_id}/keys")
    @Operation(
            operationId = "listApiKeys",
            summary = "List a tenant's API keys",
            description = "Keys with their hints, never their secrets; revoked ones included.")
    ListObject<KeyObject> keys(@PathVariable("tenant_id") String id) {
        return ListObject.of(
                tenants.keys(id).stream().map(k -> KeyObject.of(k, null)).toList(), false, KeyObject::id);
    }

    @DeleteMapping("/keys/{key_id}")
    @Operation(
            operationId = "revokeApiKey",
            summary = "Revoke an API key",
            description = "The key stops working within seconds on every API process.")
    DeletedObject revoke(@PathVariable("key_id") String keyId) {
        tenants.revoke(keyId);
        return new DeletedObject(keyId, "api_key", true);
    }

    private TenantObject view(TenantRecord t) {
        return new TenantObject(t.id(), "tenant", t.name(), t.createdAt() / 1000, tenants.limits(t.id()));
    }
}
