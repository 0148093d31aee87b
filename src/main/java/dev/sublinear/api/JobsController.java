package dev.sublinear.api;

import dev.sublinear.jobs.CheckpointRecord;
import dev.sublinear.jobs.JobRecord;
import dev.sublinear.jobs.JobRequest;
import dev.sublinear.jobs.JobResults;
import dev.sublinear.jobs.JobService;
import dev.sublinear.jobs.JobStatus;
import dev.sublinear.jobs.MetricPoint;
import dev.sublinear.jobs.common.InvalidRequestException;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
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
@Tag(name = "Fine-tuning")
@RequestMapping("/v1/fine_tuning/jobs")
class JobsController {

    /** How many parameters the metrics list by default: the few that hold most of a model's memory. */
    static final int DEFAULT_MAX_PARAMETERS = 50;

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
    @Operation(
            operationId = "createFineTuningJob",
            summary = "Create a fine-tuning job",
            description = "Validates the model, the files (against the task and the model's context window, with line"
                    + " numbers), every hyperparameter and optimizer option, and that some registered worker can fit"
                    + " the job; then queues it.")
    @ApiResponse(responseCode = "201", description = "The job, queued")
    ResponseEntity<JobObject> create(
            @Valid @RequestBody JobRequest request,
            @Parameter(
                            description = "A retried create with the same key returns the job created first (1 to 256"
                                    + " characters)")
                    @RequestHeader(name = "Idempotency-Key", required = false)
                    String idempotencyKey)
            throws IOException {
        if (idempotencyKey != null && (idempotencyKey.isBlank() || idempotencyKey.length() > 256)) {
            throw new InvalidRequestException(
                    "Idempotency-Key", "the Idempotency-Key header must be 1 to 256 characters");
        }
        JobRecord job = jobs.create(tenant.current(), request, idempotencyKey);
        return ResponseEntity.status(HttpStatus.CREATED).body(view(job));
    }

    @GetMapping
    @Operation(
            operationId = "listFineTuningJobs",
            summary = "List fine-tuning jobs",
            // metadata[key]=value is described here, not declared as a deepObject parameter: the contract's
            // generated Java client (openapi-generator, native) does not compile a deepObject map
            description = "Newest first. `metadata[key]=value` (any number of pairs, as the OpenAI SDKs send"
                    + " `metadata` as a deep object) keeps the jobs whose metadata holds them all. A query parameter"
                    + " the list does not take is refused (400 naming it).")
    ListObject<JobObject> list(
            @Parameter(
                            description = "Only jobs with this status",
                            schema =
                                    @Schema(
                                            allowableValues = {
                                                "queued",
                                                "running",
                                                "paused",
                                                "succeeded",
                                                "failed",
                                                "cancelled"
                                            }))
                    @RequestParam(required = false)
                    String status,
            @Parameter(description = "The id of the job this page continues after") @RequestParam(required = false)
                    String after,
            @Parameter(description = "Jobs per page, 1 to 100 (default 20)")
                    @RequestParam(defaultValue = "20")
                    @Min(1)
                    @Max(100)
                    int limit,
            HttpServletRequest request) {
        ListQuery.only(request, true, "status", "after", "limit");
        return ListObject.of(
                jobs.list(tenant.current(), status, ListQuery.metadata(request), after, limit),
                this::view,
                JobObject::id);
    }

    @GetMapping("/{job_id}")
    @Operation(
            operationId = "retrieveFineTuningJob",
            summary = "Get a fine-tuning job",
            description = "Status, progress with ETA, queue position while queued, devices (and, for an admin key,"
                    + " the worker) while running, error when failed, the fine-tuned model when succeeded.")
    JobObject get(@PathVariable("job_id") String id) {
        return view(jobs.get(tenant.current(), id));
    }

    @PostMapping("/{job_id}/cancel")
    @Operation(
            operationId = "cancelFineTuningJob",
            summary = "Cancel a job",
            description = "A queued or paused job is cancelled at once; a running one after its current step.")
    JobObject cancel(@PathVariable("job_id") String id) {
        return view(jobs.cancel(tenant.current(), id));
    }

    @PostMapping("/{job_id}/pause")
    @Operation(
            operationId = "pauseFineTuningJob",
            summary = "Pause a job",
            description = "A queued job is paused at once; a running one writes a checkpoint and stops after its"
                    + " current step.")
    JobObject pause(@PathVariable("job_id") String id) {
        return view(jobs.pause(tenant.current(), id));
    }

    @PostMapping("/{job_id}/resume")
    @Operation(
            operationId = "resumeFineTuningJob",
            summary = "Resume a paused job",
            description = "The job goes back to the queue and continues from its newest checkpoint.")
    JobObject resume(@PathVariable("job_id") String id) {
        return view(jobs.resume(tenant.current(), id));
    }

    @GetMapping(path = "/{job_id}/events", produces = MediaType.APPLICATION_JSON_VALUE)
    @Operation(
            operationId = "listFineTuningEvents",
            summary = "A job's events, as a list or a live stream",
            description = "With `Accept: application/json`, a page of events, oldest first. With `Accept:"
                    + " text/event-stream`, Server-Sent Events: every event after `Last-Event-ID` (or from the start),"
                    + " then new ones as they happen, each as `event: fine_tuning.job.event` with the event's JSON"
                    + " and its id; when the job has ended, a last `event: end` with `{\"id\", \"status\"}`, and"
                    + " the stream closes.")
    ListObject<EventObject> events(
            @PathVariable("job_id") String id,
            @RequestParam(required = false) String after,
            @RequestParam(defaultValue = "20") @Min(1) @Max(1000) int limit,
            HttpServletRequest request) {
        ListQuery.only(request, false, "after", "limit");
        return ListObject.of(jobs.events(tenant.current(), id, after, limit), EventObject::of, EventObject::id);
    }

    @GetMapping(path = "/{job_id}/events", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    @Operation(operationId = "listFineTuningEvents")
    @ApiResponse(
            responseCode = "200",
            description = "The events",
            content =
                    @Content(
                            mediaType = "text/event-stream",
                            schema =
                                    @Schema(
                                            type = "string",
                                            description = "Server-Sent Events",
                                            example = "id:ftevent-abc\nevent:fine_tuning.job.event\n"
                                                    + "data:{\"id\":\"ftevent-abc\","
                                                    + "\"object\":\"fine_tuning.job.event\",\"level\":\"info\","
                                                    + "\"type\":\"message\",\"message\":\"Job created\","
                                                    + "\"data\":{\"kind\":\"status\"}}\n\nevent:end\n"
                                                    + "data:{\"id\":\"ftjob-abc\",\"status\":\"succeeded\"}\n")))
    SseEmitter eventStream(
            @PathVariable("job_id") String id,
            @RequestHeader(name = "Last-Event-ID", required = false) String lastEventId) {
        return stream.open(tenant.current(), id, lastEventId);
    }

    @GetMapping("/{job_id}/metrics")
    @Operation(
            operationId = "getFineTuningMetrics",
            summary = "A job's training curves and optimizer memory",
            description = "Per-step losses, step size, update RMS, clip rate and throughput; series longer than"
                    + " `max_points` are averaged into equal runs of steps.")
    MetricsObject metrics(
            @PathVariable("job_id") String id,
            @Parameter(description = "The most points to return (default and cap: the service's setting, 500)")
                    @RequestParam(name = "max_points", required = false)
                    @Min(10)
                    @Max(100000)
                    Integer maxPoints,
            @Parameter(
                            description = "The most parameters `optimizer_memory.by_parameter` lists (most saved"
                                    + " first); the rest are summed in `by_parameter_rest`")
                    @RequestParam(name = "max_parameters", defaultValue = "" + DEFAULT_MAX_PARAMETERS)
                    @Min(0)
                    @Max(100000)
                    int maxParameters) {
        JobRecord job = jobs.get(tenant.current(), id);
        List<MetricPoint> points = results.metrics(job, maxPoints);
        JobRecord.Memory m = job.memory();
        MetricsObject.OptimizerMemory memory = m == null
                ? null
                : MetricsObject.OptimizerMemory.of(
                        m.stateBytes(),
                        m.adamEquivalentBytes(),
                        m.parameterBytes(),
                        results.memoryBreakdown(job, maxParameters).orElse(null));
        return new MetricsObject(
                "fine_tuning.job.metrics", id, points, points.size() < results.recordedSteps(job), memory);
    }

    @GetMapping("/{job_id}/checkpoints")
    @Operation(
            operationId = "listFineTuningCheckpoints",
            summary = "A job's checkpoints",
            description = "Newest first (by step), a page of `limit` after the checkpoint `after`.")
    ListObject<CheckpointObject> checkpoints(
            @PathVariable("job_id") String id,
            @RequestParam(required = false) String after,
            @RequestParam(defaultValue = "10") @Min(1) @Max(1000) int limit) {
        return ListObject.of(
                results.checkpoints(tenant.current(), id, after, limit), CheckpointObject::of, CheckpointObject::id);
    }

    @GetMapping("/{job_id}/checkpoints/{checkpoint_id}/content")
    @Operation(
            operationId = "downloadFineTuningCheckpoint",
            summary = "Download a checkpoint",
            description = "A zip of the model, the optimizer's state and the run's position; for a job on a"
                    + " Hugging Face model, a zip of the checkpoint's model as a Hugging Face directory (config.json,"
                    + " safetensors in the base model's types, tokenizer files), which from_pretrained reads.")
    @ApiResponse(
            responseCode = "200",
            description = "The checkpoint archive",
            content = @Content(mediaType = "application/zip", schema = @Schema(type = "string", format = "binary")))
    ResponseEntity<InputStreamResource> checkpointContent(
            @PathVariable("job_id") String id, @PathVariable("checkpoint_id") String checkpointId) throws IOException {
        CheckpointRecord checkpoint = results.checkpoint(tenant.current(), id, checkpointId);
        JobResults.Download download = results.download(checkpoint);
        return ResponseEntity.ok()
                .contentType(MediaType.parseMediaType("application/zip"))
                .contentLength(download.bytes())
                .header(
                        HttpHeaders.CONTENT_DISPOSITION,
                        ContentDisposition.attachment()
                                .filename(id + "-" + checkpoint.name() + ".zip")
                                .build()
                                .toString())
                .body(new InputStreamResource(download.content()));
    }

    private JobObject view(JobRecord job) {
        return JobObject.of(
                job,
                job.status() == JobStatus.QUEUED ? jobs.queuePosition(job) : null,
                tenant.principal().admin());
    }
}
