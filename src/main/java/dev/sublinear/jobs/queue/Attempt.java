package dev.sublinear.jobs.queue;

import dev.sublinear.jobs.BaseModel;
import dev.sublinear.jobs.BaseModels;
import dev.sublinear.jobs.CheckpointRecord;
import dev.sublinear.jobs.EventLevel;
import dev.sublinear.jobs.EventStore;
import dev.sublinear.jobs.JobCheckpoints;
import dev.sublinear.jobs.JobRecord;
import dev.sublinear.jobs.JobStatus;
import dev.sublinear.jobs.MetricPoint;
import dev.sublinear.jobs.MetricStore;
import dev.sublinear.jobs.ParameterMemory;
import dev.sublinear.jobs.ParameterMemoryStore;
import dev.sublinear.jobs.RequestedAction;
import dev.sublinear.jobs.ResultsFiles;
import dev.sublinear.jobs.common.Ids;
import dev.sublinear.jobs.files.FileRecord;
import dev.sublinear.jobs.files.FileService;
import dev.sublinear.jobs.models.ModelRecord;
import dev.sublinear.jobs.models.ModelService;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.springframework.stereotype.Component;

/**
 * One worker's attempt at one job: everything the worker reads and writes while it holds the job.
 * Writes to the job are fenced by (worker, attempt) and answer false once the worker no longer
 * holds it; events, metrics and checkpoint rows are the attempt's own record of what it did.
 */
public final class Attempt {

    /** What an attempt writes through; one set per process, shared by its attempts. */
    @Component
    record Stores(
            JobQueue queue,
            EventStore events,
            MetricStore metrics,
            JobCheckpoints checkpoints,
            FileService files,
            ModelService models,
            BaseModels baseModels,
            ResultsFiles results,
            ParameterMemoryStore parameterMemory,
            Clock clock) {}

    private final JobRecord job;
    private final JobQueue.Holder holder;
    private final Stores stores;

    Attempt(JobRecord job, String workerId, Stores stores) {
        this.job = job;
        this.holder = new JobQueue.Holder(job.id(), workerId, job.claim().attempt());
        this.stores = stores;
    }

    public JobRecord job() {
        return job;
    }

    public String workerId() {
        return holder.workerId();
    }

    // inputs

    /** The uploaded file the job trains on. */
    public FileRecord trainingFile() {
        return stores.files().find(job.tenantId(), job.trainingFile()).orElseThrow();
    }

    /** The uploaded file the job validates on, if it names one. */
    public Optional<FileRecord> validationFile() {
        return job.validationFile() == null
                ? Optional.empty()
                : Optional.of(stores.files()
                        .find(job.tenantId(), job.validationFile())
                        .orElseThrow());
    }

    /** The model the job starts from: a catalog name, a fine-tuned model, an upload or a checkpoint. */
    public BaseModel baseModel() {
        return stores.baseModels().resolve(job.tenantId(), job.model(), "model");
    }

    // the lease and the client's requests

    /**
     * Renews the lease and records the attempt's peak memory (null: not measured).
     *
     * @return the action the client asked for ({@link RequestedAction#NONE} when none), or empty when
     *     the worker no longer holds the job
     */
    public Optional<RequestedAction> renew(Duration lease, Long memoryPeakBytes) {
        return stores.queue().renew(holder, stores.clock().millis(), lease, memoryPeakBytes);
    }

    /** Records progress; false if the worker no longer holds the job. */
    public boolean progress(JobRecord.Progress progress, JobRecord.Memory memory) {
        return stores.queue().progress(holder, progress, memory);
    }

    /** Records each parameter's optimizer memory; false if the worker no longer holds the job. */
    public boolean parameterMemory(List<ParameterMemory> parameters) {
        return stores.parameterMemory().write(holder.jobId(), holder.workerId(), holder.attempt(), parameters);
    }

    // what the tenant reads

    public void info(String type, String message) {
        stores.events().info(job.id(), type, message);
    }

    public void warn(String type, String message) {
        stores.events().add(job.id(), EventLevel.WARN, type, message, null);
    }

    public void error(String type, String message) {
        stores.events().add(job.id(), EventLevel.ERROR, type, message, null);
    }

    /** A {@code metrics} event: a step's figures, {@code data} their JSON object's text. */
    public void metrics(String message, String data) {
        stores.events().add(job.id(), EventLevel.INFO, "metrics", message, data);
    }

    public void addMetrics(List<MetricPoint> points) {
        stores.metrics().add(job.id(), points);
    }

    /** A validation result for a step whose training point was already written. */
    public void evaluation(int step, double validLoss, Double accuracy) {
        stores.metrics().evaluation(job.id(), step, validLoss, accuracy);
    }

    /** The stored point of {@code step}, if the job recorded one. */
    public Optional<MetricPoint> metricsAt(int step) {
        return stores.metrics().at(job.id(), step);
    }

    /** The newest stored point at or before {@code step} that has a validation result. */
    public Optional<MetricPoint> latestEvaluation(int step) {
        return stores.metrics().latestEvaluation(job.id(), step);
    }

    /** A resumed attempt drops the points past its checkpoint; it writes them again. */
    public void dropMetricsAfter(int step) {
        stores.metrics().truncateAfter(job.id(), step);
    }

    // checkpoints

    /** Records a checkpoint stored under {@code artifactKey}, then makes it the job's newest. */
    public boolean checkpointed(
            String name, int step, long bytes, CheckpointRecord.Metrics metrics, String artifactKey) {
        stores.checkpoints()
                .put(new CheckpointRecord(
                        Ids.next("ftckpt"),
                        job.id(),
                        job.tenantId(),
                        name,
                        step,
                        bytes,
                        metrics,
                        artifactKey,
                        stores.clock().millis()));
        return stores.queue().checkpointed(holder, name);
    }

    /** Forgets a checkpoint the run pruned. */
    public void checkpointDeleted(String name) {
        stores.checkpoints().delete(job.id(), name);
    }

    // the end: exactly one of these lands, and only while the worker holds the job; each writes the
    // job's results file in the transaction of its terminal status

    /**
     * Registers the trained model, stored under {@code artifactKey}, under its {@code ft:} id, and
     * marks the job succeeded. When the worker no longer holds the job the model is unregistered
     * again and false returned: its artifact is the caller's to delete.
     */
    public Optional<ModelRecord> succeed(String artifactKey, long bytes, int steps, long trainedTokens) {
        String suffix = job.settings().suffix() == null ? "" : job.settings().suffix();
        ModelRecord model = new ModelRecord(
                "ft:" + rootModel(job.model()) + ":" + suffix + ":" + job.id(),
                job.tenantId(),
                job.model(),
                job.id(),
                job.task(),
                artifactKey,
                bytes,
                stores.clock().millis());
        stores.models().register(model);
        if (stores.results()
                .end(
                        job,
                        () -> stores.queue()
                                .succeed(
                                        holder,
                                        model.id(),
                                        steps,
                                        trainedTokens,
                                        stores.clock().millis()))) {
            return Optional.of(model);
        }
        stores.models().unregister(job.tenantId(), model.id());
        return Optional.empty();
    }

    /** Fails the job, with its results file when it recorded a step (see {@link ResultsFiles}). */
    public boolean fail(JobRecord.Failure failure) {
        return stores.results()
                .end(
                        job,
                        () -> stores.queue()
                                .fail(holder, failure, stores.clock().millis()));
    }

    /** Records the cancellation the client asked for, with the job's results file. */
    public boolean cancelled() {
        return stores.results()
                .end(job, () -> stores.queue().cancelled(holder, stores.clock().millis()));
    }

    /** Gives the job back as {@code to} (queued or paused), counting this attempt. */
    public boolean release(JobStatus to) {
        return stores.queue().release(holder, to);
    }

    /** Gives the job back without counting this attempt: the worker, not the job, was at fault. */
    public boolean releaseUncharged() {
        return stores.queue().releaseUncharged(holder);
    }

    /** The catalog architecture a model descends from, for the {@code ft:} id; "custom" when unknown. */
    private static String rootModel(String model) {
        if (model.startsWith("ft:")) {
            return model.split(":")[1];
        }
        return model.startsWith("ftckpt-") || model.startsWith("file-") ? "custom" : model;
    }
}
