package dev.sublinear.api;

import dev.sublinear.jobs.CheckpointRecord;
import dev.sublinear.jobs.InvalidRequestException;
import dev.sublinear.jobs.JobRecord;
import dev.sublinear.jobs.JobRequest;
import dev.sublinear.jobs.JobResults;
import dev.sublinear.jobs.JobService;
import dev.sublinear.jobs.JobStatus;
import dev.sublinear.jobs.MetricPoint;
import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import java.io.IOException;
import java.util.List;
import org.springframework.core.io.InputStreamResource;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/** {@code /v1/fine_tuning/jobs}: create, follow and steer fine-tuning jobs. */
@RestController
@RequestMapping("/v1/fine_tuning/jobs")
class JobsController {

    private final JobService jobs;
    private final JobResults results;
    private final JobEventStream stream;
    private final Tenant tenant;

    JobsController(JobService jobs, JobResults results, JobEventStream stream, Tenant tenant) {
        this.jobs = jobs;
        this.results = results;
        this.stream = stream;
        this.tenant = tenant;
    }

    @PostMapping
    ResponseEntity<JobObject> create(@Valid @RequestBody JobRequest request,
            @RequestHeader(name = "Idempotency-Key", required = false) String idempotencyKey) throws IOException {
        if (idempotencyKey != null && (idempotencyKey.isBlank() || idempotencyKey.length() > 256)) {
            throw new InvalidRequestException("Idempotency-Key", "the Idempotency-Key header must be 1 to 256 characters");
        }
        JobRecord job = jobs.create(tenant.current(), request, idempotencyKey);
        return ResponseEntity.status(HttpStatus.CREATED).body(view(job));
    }

    @GetMapping
    ListObject<JobObject> list(@RequestParam(required = false) String status,
            @RequestParam(required = false) String after,
            @RequestParam(defaultValue = "20") @Min(1) @Max(100) int limit) {
        return ListObject.of(jobs.list(tenant.current(), status, after, limit), this::view, JobObject::id);
    }

    @GetMapping("/{job_id}")
    JobObject get(@PathVariable("job_id") String id) {
        return view(jobs.get(tenant.current(), id));
    }

    @PostMapping("/{job_id}/cancel")
    JobObject cancel(@PathVariable("job_id") String id) {
        return view(jobs.cancel(tenant.current(), id));
    }

    @PostMapping("/{job_id}/pause")
    JobObject pause(@PathVariable("job_id") String id) {
        return view(jobs.pause(tenant.current(), id));
    }

    @PostMapping("/{job_id}/resume")
    JobObject resume(@PathVariable("job_id") String id) {
        return view(jobs.resume(tenant.current(), id));
    }

    @GetMapping(path = "/{job_id}/events", produces = MediaType.APPLICATION_JSON_VALUE)
    ListObject<EventObject> events(@PathVariable("job_id") String id, @RequestParam(required = false) String after,
            @RequestParam(defaultValue = "20") @Min(1) @Max(1000) int limit) {
        return ListObject.of(jobs.events(tenant.current(), id, after, limit), EventObject::of, EventObject::id);
    }

    @GetMapping(path = "/{job_id}/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    SseEmitter eventStream(@PathVariable("job_id") String id,
            @RequestHeader(name = "Last-Event-ID", required = false) String lastEventId) {
        return stream.open(tenant.current(), id, lastEventId);
    }

    @GetMapping("/{job_id}/metrics")
    MetricsObject metrics(@PathVariable("job_id") String id,
            @RequestParam(name = "max_points", required = false) @Min(10) @Max(100000) Integer maxPoints) {
        JobRecord job = jobs.get(tenant.current(), id);
        List<MetricPoint> points = results.metrics(job, maxPoints);
        MetricsObject.OptimizerMemory memory = job.stateBytes() == null
                ? null
                : new MetricsObject.OptimizerMemory(job.stateBytes(), job.adamEquivalentBytes(), job.parameterBytes(),
                        job.adamEquivalentBytes() == 0 ? 0 : (double) job.stateBytes() / job.adamEquivalentBytes());
        return new MetricsObject("fine_tuning.job.metrics", id, points, points.size() < results.recordedSteps(job),
                memory);
    }

    @GetMapping("/{job_id}/checkpoints")
    ListObject<CheckpointObject> checkpoints(@PathVariable("job_id") String id) {
        return ListObject.of(results.checkpoints(tenant.current(), id).stream().map(CheckpointObject::of).toList(), false,
                CheckpointObject::id);
    }

    @GetMapping("/{job_id}/checkpoints/{checkpoint_id}/content")
    ResponseEntity<InputStreamResource> checkpointContent(@PathVariable("job_id") String id,
            @PathVariable("checkpoint_id") String checkpointId) throws IOException {
        CheckpointRecord checkpoint = results.checkpoint(tenant.current(), id, checkpointId);
        return ResponseEntity.ok()
                .contentType(MediaType.parseMediaType("application/zip"))
                .contentLength(checkpoint.bytes())
                .header(HttpHeaders.CONTENT_DISPOSITION, ContentDisposition.attachment()
                        .filename(id + "-" + checkpoint.name() + ".zip").build().toString())
                .body(new InputStreamResource(results.content(checkpoint)));
    }

    private JobObject view(JobRecord job) {
        return JobObject.of(job, job.status() == JobStatus.QUEUED ? jobs.queuePosition(job) : null);
    }
}
