package dev.sublinear.api;

import dev.sublinear.jobs.queue.WorkerService;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.tags.Tag;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

/** {@code /v1/workers}: the workers registered with the job store and what they run. */
@RestController
@Tag(name = "Workers")
@RequestMapping("/v1/workers")
class WorkersController {

    private final WorkerService workers;
    private final Tenant tenant;

    WorkersController(WorkerService workers, Tenant tenant) {
        this.workers = workers;
        this.tenant = tenant;
    }

    @GetMapping
    @Operation(
            operationId = "listWorkers",
            summary = "List workers",
            description = "Every registered worker with its devices, their use, and the caller's jobs it runs. Admin"
                    + " keys only (403 otherwise): workers are named after the hosts they run on.")
    ListObject<WorkerObject> list() {
        if (!tenant.principal().admin()) {
            throw new ResponseStatusException(
                    HttpStatus.FORBIDDEN, "the workers list needs an admin key: it names the service's hosts");
        }
        return ListObject.of(
                workers.list(tenant.current()).stream()
                        .map(w -> new WorkerObject(
                                w.worker().id(),
                                "worker",
                                w.worker().host(),
                                w.devices().stream()
                                        .map(d -> new WorkerObject.Device(d.name(), d.total(), d.used()))
                                        .toList(),
                                w.runningJobs(),
                                w.worker().lastHeartbeat() / 1000,
                                w.worker().startedAt() / 1000,
                                w.status().id()))
                        .toList(),
                false,
                WorkerObject::id);
    }
}
