package dev.sublinear.jobs;

import dev.sublinear.jobs.common.ConflictException;
import dev.sublinear.jobs.common.Ids;
import dev.sublinear.jobs.common.InvalidRequestException;
import dev.sublinear.jobs.common.JobsProperties;
import dev.sublinear.jobs.common.NotFoundException;
import dev.sublinear.jobs.common.Page;
import dev.sublinear.jobs.common.QuotaExceededException;
import dev.sublinear.jobs.files.FileRecord;
import dev.sublinear.jobs.files.FileService;
import dev.sublinear.jobs.tenants.TenantLimits;
import dev.sublinear.jobs.tenants.Tenants;
import dev.sublinear.jobs.workers.WorkerRecord;
import dev.sublinear.jobs.workers.WorkerRegistry;
import dev.sublinear.storage.ArtifactStore;
import dev.sublinear.training.data.ByteTokenizer;
import dev.sublinear.training.data.DataProblem;
import dev.sublinear.training.data.DatasetReader;
import dev.sublinear.training.data.InvalidDataException;
import dev.sublinear.training.data.TaskType;
import dev.sublinear.training.data.Tokenizer;
import dev.sublinear.training.data.TrainingData;
import dev.sublinear.training.model.LoadedModel;
import dev.sublinear.training.model.ModelArchive;
import dev.sublinear.training.model.ModelCatalog;
import dev.sublinear.training.model.ModelConfig;
import dev.sublinear.training.model.PretrainedModels;
import dev.sublinear.training.run.MemoryBudget;
import dev.sublinear.training.run.MemoryEstimate;
import dev.sublinear.training.tokenizer.HfTokenizer;
import java.io.IOException;
import java.io.InputStream;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.dao.DuplicateKeyException;
import org.springframework.stereotype.Service;

/**
 * Creating jobs (every check a client can be told about up front) and the client's side of the
 * status machine: cancel, pause, resume.
 */
@Service
public class JobService {

    private static final SecureRandom SEEDS = new SecureRandom();

    private final JobStore jobs;
    private final FileService files;
    private final EventStore events;
    private final WorkerRegistry workers;
    private final BaseModels baseModels;
    private final ArtifactStore artifacts;
    private final JobsProperties properties;
    private final Tenants tenants;
    private final TenantUsage usage;
    private final Clock clock;
    private final ResultsFiles results;

    public JobService(
            JobStore jobs,
            FileService files,
            EventStore events,
            WorkerRegistry workers,
            BaseModels baseModels,
            ArtifactStore artifacts,
            JobsProperties properties,
            Tenants tenants,
            TenantUsage usage,
            Clock clock,
            ResultsFiles results) {
        this.jobs = jobs;
        this.files = files;
        this.events = events;
        this.workers = workers;
        this.baseModels = baseModels;
        this.artifacts = artifacts;
        this.properties = properties;
        this.tenants = tenants;
        this.usage = usage;
        this.clock = clock;
        this.results = results;
    }

    /** Creates a job, or returns the one created earlier with the same idempotency key. */
    public JobRecord create(String tenantId, JobRequest request, String idempotencyKey) throws IOException {
        if (idempotencyKey != null) {
            Optional<JobRecord> earlier = jobs.findByIdempotencyKey(tenantId, idempotencyKey);
            if (earlier.isPresent()) {
                return earlier.get();
            }
        }
        BaseModel base = baseModels.resolve(tenantId, request.model(), "model");
        TaskType task = request.task() == null ? base.task() : TaskType.fromId(request.task());
        if (task != base.task()) {
            throw new InvalidRequestException(
                    "task",
                    "model " + request.model() + " is for " + base.task().id() + ", not " + task.id());
        }
        FileRecord training = fineTuneFile(tenantId, request.trainingFile(), "training_file", task);
        FileRecord validation = request.validationFile() == null
                ? null
                : fineTuneFile(tenantId, request.validationFile(), "validation_file", task);
        boolean pretrained = pretrained(base);
        int gpus = request.resources() == null || request.resources().gpus() == null
                ? 0
                : request.resources().gpus();
        List<WorkerRecord> live = checkFits(gpus);
        checkQuota(tenantId, gpus);
        Long memoryEstimate;
        JobSettings settings;
        // examples are counted in the model's own tokens: a pretrained model's tokenizer, else ours
        try (HfTokenizer hf = pretrained ? tokenizer(base) : null) {
            Tokenizer tokenizer = hf != null ? hf : new ByteTokenizer();
            TrainingData data = checkExamples(task, base, training, validation, tokenizer);
            // "auto" hyperparameters are resolved from the number of training examples
            settings = JobDefaults.resolve(
                    request,
                    request.seed() != null ? request.seed() : SEEDS.nextLong(1L << 53),
                    pretrained,
                    data.training().size());
            // A job on GPUs keeps its tensors in GPU memory, where an allocation that does not fit fails
            // with an error instead of the kernel killing the process: the host's budget is for the rest.
            JobDefaults.Form form = JobDefaults.form(request);
            if (gpus == 0 && form.autoBatchSize()) {
                settings = batchThatFits(base, data, settings, live, tokenizer);
            }
            memoryEstimate = gpus == 0 ? checkMemory(base, data, settings, live, tokenizer, form.path()) : null;
        }

        JobRecord job = JobRecord.queued(
                Ids.next("ftjob"),
                tenantId,
                request.model(),
                training.id(),
                validation == null ? null : validation.id(),
                task,
                settings,
                gpus,
                request.priority() == null ? 0 : request.priority(),
                properties.maxAttempts(),
                clock.millis());
        try {
            jobs.insert(job, idempotencyKey, memoryEstimate);
        } catch (DuplicateKeyException e) {
            // a concurrent retry with the same key won the race: its job is the answer
            return jobs.findByIdempotencyKey(tenantId, idempotencyKey).orElseThrow(() -> e);
        }
        events.info(job.id(), "status", "Job created: " + task.id() + " on " + request.model() + ", queued");
        return jobs.find(job.id()).orElseThrow();
    }

    public JobRecord get(String tenantId, String id) {
        return jobs.find(tenantId, id)
                .orElseThrow(() -> new NotFoundException("fine-tuning job", id, "fine_tuning_job_id"));
    }

    /** @param metadata pairs every listed job's metadata holds (empty: any job) */
    public Page<JobRecord> list(String tenantId, String status, Map<String, String> metadata, String after, int limit) {
        return jobs.list(tenantId, status == null ? null : JobStatus.fromId(status), metadata, after, limit);
    }

    public int queuePosition(JobRecord job) {
        return jobs.queuePosition(job);
    }

    /** Cancels now if no worker holds the job; otherwise asks its worker, which stops within a step. */
    public JobRecord cancel(String tenantId, String id) {
        JobRecord job = get(tenantId, id);
        long now = clock.millis();
        switch (job.status()) {
            case QUEUED, PAUSED -> {
                // a paused job has trained: its results file comes with the cancellation
                if (results.end(job, () -> jobs.transition(id, job.status(), JobStatus.CANCELLED, now))) {
                    events.info(id, "status", "Job cancelled");
                    return get(tenantId, id);
                }
                return cancel(tenantId, id); // it moved meanwhile: decide again
            }
            case RUNNING -> {
                if (jobs.request(id, RequestedAction.CANCEL)) {
                    events.info(id, "status", "Cancellation requested; the worker stops after the current step");
                }
                return get(tenantId, id);
            }
            default ->
                throw new ConflictException(
                        "fine_tuning_job_id",
                        "job " + id + " already " + job.status().id());
        }
    }

    /** Pauses a queued job at once, a running one at its next checkpoint (written on purpose). */
    public JobRecord pause(String tenantId, String id) {
        JobRecord job = get(tenantId, id);
        switch (job.status()) {
            case QUEUED -> {
                if (jobs.transition(id, JobStatus.QUEUED, JobStatus.PAUSED, clock.millis())) {
                    events.info(id, "status", "Job paused");
                    return get(tenantId, id);
                }
                return pause(tenantId, id);
            }
            case RUNNING -> {
                if (jobs.request(id, RequestedAction.PAUSE)) {
                    events.info(
                            id, "status", "Pause requested; the worker checkpoints and stops after the current step");
                }
                return get(tenantId, id);
            }
            case PAUSED -> {
                return job;
            }
            default ->
                throw new ConflictException(
                        "fine_tuning_job_id",
                        "job " + id + " is " + job.status().id() + " and cannot be paused");
        }
    }

    /** Puts a paused job back in the queue; it resumes from its newest checkpoint. */
    public JobRecord resume(String tenantId, String id) {
        JobRecord job = get(tenantId, id);
        if (job.status() == JobStatus.QUEUED || job.status() == JobStatus.RUNNING) {
            return job;
        }
        if (job.status() != JobStatus.PAUSED
                || !jobs.transition(id, JobStatus.PAUSED, JobStatus.QUEUED, clock.millis())) {
            throw new ConflictException(
                    "fine_tuning_job_id",
                    "job " + id + " is " + job.status().id() + "; only a paused job can be resumed");
        }
        events.info(
                id,
                "status",
                "Job resumed; queued"
                        + (job.latestCheckpoint() != null ? " to continue from " + job.latestCheckpoint() : ""));
        return get(tenantId, id);
    }

    private FileRecord fineTuneFile(String tenantId, String id, String param, TaskType task) {
        FileRecord f =
                files.find(tenantId, id).orElseThrow(() -> new InvalidRequestException(param, "no file '" + id + "'"));
        if (!FileRecord.FINE_TUNE.equals(f.purpose())) {
            throw new InvalidRequestException(
                    param, "file " + id + " has purpose '" + f.purpose() + "', not 'fine-tune'");
        }
        if (!f.usable()) {
            throw new InvalidRequestException(param, "file " + id + " did not pass validation: " + f.statusDetails());
        }
        if (!f.tasks().contains(task)) {
            throw new InvalidRequestException(
                    param,
                    "file " + id + " holds " + f.tasks().iterator().next().id() + " examples, not " + task.id()
                            + " ones");
        }
        return f;
    }

    private void checkQuota(String tenantId, int gpus) {
        TenantLimits limits = tenants.limits(tenantId);
        TenantUsage.Usage usage = this.usage.of(tenantId);
        if (usage.queuedJobs() >= limits.maxQueuedJobs()) {
            throw new QuotaExceededException(
                    null,
                    "the tenant has " + usage.queuedJobs() + " queued job(s), its limit" + " (max_queued_jobs "
                            + limits.maxQueuedJobs() + "); wait for some to start or cancel some");
        }
        if (usage.gpus() + gpus > limits.maxGpus()) {
            throw new QuotaExceededException(
                    "resources.gpus",
                    "the tenant's unfinished jobs ask for " + usage.gpus() + " GPU(s); " + gpus
                            + " more would pass its limit (max_gpus " + limits.maxGpus() + ")");
        }
        if (usage.storageBytes() >= limits.maxStorageBytes()) {
            throw new QuotaExceededException(
                    null,
                    "the tenant stores " + usage.storageBytes() + " bytes, its limit" + " (max_storage_bytes "
                            + limits.maxStorageBytes() + "); delete files or models first");
        }
    }

    /** Refuses a job no live worker has the GPUs for; returns the live workers. */
    private List<WorkerRecord> checkFits(int gpus) {
        List<WorkerRecord> seen =
                workers.seenSince(clock.millis() - properties.workerRetention().toMillis());
        if (seen.isEmpty()) {
            throw new InvalidRequestException(
                    "resources.gpus",
                    "no worker has registered in the last " + properties.workerRetention()
                            + "; start a worker (sublinear.roles=worker) before submitting jobs");
        }
        int most = seen.stream().mapToInt(WorkerRecord::gpus).max().orElse(0);
        if (gpus > most) {
            throw new InvalidRequestException(
                    "resources.gpus",
                    "the job asks for " + gpus + " GPU(s) but the largest registered worker has " + most);
        }
        return seen;
    }

    /**
     * An "auto" batch size is the service's choice, so it is never one the workers' memory cannot
     * take: shrunk to the most examples a micro-batch that fit the largest budget (when even one does
     * not fit, {@link #checkMemory} says what else to change).
     */
    private JobSettings batchThatFits(
            BaseModel base, TrainingData data, JobSettings settings, List<WorkerRecord> live, Tokenizer tokenizer)
            throws IOException {
        Long budget = largestBudget(live);
        MemoryEstimate estimate = estimate(base, data, settings, tokenizer);
        if (budget == null || estimate.totalBytes() <= budget) {
            return settings;
        }
        int rows = estimate.rowsWithin(budget);
        return rows >= 1 && rows < settings.hyperparameters().batchSize() ? settings.withBatchSize(rows) : settings;
    }

    private MemoryEstimate estimate(BaseModel base, TrainingData data, JobSettings settings, Tokenizer tokenizer)
            throws IOException {
        return MemoryEstimate.of(
                modelConfig(base, data.labels()),
                TrainingSettings.optimizer(settings),
                TrainingSettings.hyperparameters(settings),
                data,
                1,
                tokenizer);
    }

    /** The largest memory budget of the live workers; null when one of them has none (it takes anything). */
    private static Long largestBudget(List<WorkerRecord> live) {
        if (live.stream().anyMatch(w -> w.memoryBudgetBytes() == null)) {
            return null;
        }
        return live.stream().mapToLong(WorkerRecord::memoryBudgetBytes).max().orElseThrow();
    }

    /**
     * Refuses a job whose estimated memory passes the largest memory budget of the live workers
     * (it could only take a worker down), naming the setting to change; returns the estimate.
     */
    private long checkMemory(
            BaseModel base,
            TrainingData data,
            JobSettings settings,
            List<WorkerRecord> live,
            Tokenizer tokenizer,
            String hyperparametersPath)
            throws IOException {
        MemoryEstimate estimate = estimate(base, data, settings, tokenizer);
        Long largest = largestBudget(live);
        if (largest == null) {
            return estimate.totalBytes(); // a worker of a version without budgets takes anything
        }
        long budget = largest;
        if (estimate.totalBytes() <= budget) {
            return estimate.totalBytes();
        }
        String needs = "the job needs an estimated " + MemoryBudget.describe(estimate.totalBytes()) + " of memory ("
                + MemoryBudget.describe(estimate.activationBytes()) + " for the activations of micro-batches of "
                + estimate.rows() + " example(s) of up to " + estimate.length() + " tokens, "
                + MemoryBudget.describe(estimate.parameterBytes()
                        + estimate.gradientBytes()
                        + estimate.optimizerBytes()
                        + estimate.overheadBytes())
                + " for the model, its gradients and optimizer state, "
                + MemoryBudget.describe(estimate.dataBytes()) + " for the examples), more than the largest worker's"
                + " memory budget for a job, " + MemoryBudget.describe(budget);
        int rows = estimate.rowsWithin(budget);
        if (rows >= 1 && estimate.activationBytes() >= estimate.fixedBytes()) {
            throw new InvalidRequestException(
                    hyperparametersPath + "batch_size",
                    needs + "; a batch_size of at most " + rows
                            + " fits (gradient_accumulation keeps the examples per step without the memory)");
        }
        if (estimate.dataBytes() >= estimate.fixedBytes() - estimate.dataBytes()) {
            throw new InvalidRequestException("training_file", needs + "; use fewer or shorter examples");
        }
        if (estimate.activationBytes() >= estimate.fixedBytes()) {
            throw new InvalidRequestException(
                    "training_file",
                    needs + "; even one example per micro-batch is too" + " much: use shorter examples");
        }
        throw new InvalidRequestException("model", needs + "; use a smaller model");
    }

    /** Whether the base is a pretrained (Hugging Face) model, which fine-tuning defaults suit. */
    private boolean pretrained(BaseModel base) throws IOException {
        return !(base instanceof BaseModel.Catalog)
                && HfTokenizer.TYPE.equals(modelConfig(base, List.of()).tokenizer());
    }

    /** The architecture the job will train, read from the base model without loading it. */
    private ModelConfig modelConfig(BaseModel base, List<String> labels) throws IOException {
        if (base instanceof BaseModel.Catalog c) {
            // a catalog classifier takes the training file's labels; fewer than two fail at validation
            return ModelCatalog.get(c.name(), labels.size() >= 2 ? labels : List.of("a", "b"))
                    .orElseThrow();
        }
        if (base instanceof BaseModel.System s) {
            return LoadedModel.readConfig(s.directory().resolve(LoadedModel.CONFIG_FILE));
        }
        try (InputStream in = artifacts.open(artifactKey(base))) {
            return ModelArchive.readConfig(in);
        } catch (ModelArchive.InvalidArchiveException e) {
            throw new InvalidRequestException("model", e.getMessage());
        }
    }

    /** The stored archive of a base that is not the catalog's nor the operator's. */
    private static String artifactKey(BaseModel base) {
        return base instanceof BaseModel.FineTuned f
                ? f.model().artifactKey()
                : base instanceof BaseModel.Uploaded u
                        ? u.file().artifactKey()
                        : ((BaseModel.FromCheckpoint) base).checkpoint().artifactKey();
    }

    /** A pretrained base's tokenizer, read from its directory or stored archive without its weights. */
    private HfTokenizer tokenizer(BaseModel base) throws IOException {
        if (base instanceof BaseModel.System s) {
            return HfTokenizer.load(s.directory());
        }
        try (InputStream in = artifacts.open(artifactKey(base))) {
            return PretrainedModels.tokenizer(in);
        }
    }

    /** Checks the examples against the task and the model's context window, with line numbers; returns them. */
    private TrainingData checkExamples(
            TaskType task, BaseModel base, FileRecord training, FileRecord validation, Tokenizer tokenizer)
            throws IOException {
        int contextLength = base instanceof BaseModel.Catalog c
                ? ModelCatalog.get(c.name(), List.of("a", "b"))
                        .map(ModelConfig::contextLength)
                        .orElseThrow()
                : Integer.MAX_VALUE;
        DatasetReader reader = new DatasetReader(task, tokenizer, Math.min(contextLength, 1 << 20), 2);
        try (InputStream t = artifacts.open(training.artifactKey());
                InputStream v = validation == null ? null : artifacts.open(validation.artifactKey())) {
            return reader.read(t, v);
        } catch (InvalidDataException e) {
            DataProblem first = e.problems().get(0);
            String param = "validation".equals(first.file()) ? "validation_file" : "training_file";
            throw new InvalidRequestException(
                    param,
                    FileService.describe(task, e.problems()),
                    e.problems().stream().map(DataProblem::toString).limit(100).toList());
        }
    }

    /** Events, oldest first. */
    public Page<JobEvent> events(String tenantId, String id, String after, int limit) {
        get(tenantId, id);
        return events.page(id, after, limit);
    }

    public Map<String, Long> countByStatus() {
        return jobs.countByStatus();
    }
}
