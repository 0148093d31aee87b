package dev.sublinear.worker;

import ai.djl.Device;
import dev.sublinear.jobs.CheckpointRecord.Metrics;
import dev.sublinear.jobs.FailureCode;
import dev.sublinear.jobs.JobRecord;
import dev.sublinear.jobs.JobStatus;
import dev.sublinear.jobs.MetricPoint;
import dev.sublinear.jobs.ParameterMemory;
import dev.sublinear.jobs.RequestedAction;
import dev.sublinear.jobs.common.Ids;
import dev.sublinear.jobs.common.LocalDirectories;
import dev.sublinear.jobs.models.ModelRecord;
import dev.sublinear.jobs.queue.Attempt;
import dev.sublinear.training.data.DataProblem;
import dev.sublinear.training.data.InvalidDataException;
import dev.sublinear.training.run.EvaluationReport;
import dev.sublinear.training.run.MemoryBudget;
import dev.sublinear.training.run.MemoryBudgetExceededException;
import dev.sublinear.training.run.RunControl;
import dev.sublinear.training.run.RunOutcome;
import dev.sublinear.training.run.StepReport;
import dev.sublinear.training.run.TrainingFailedException;
import dev.sublinear.training.run.TrainingListener;
import dev.sublinear.training.run.TrainingRun;
import dev.sublinear.training.run.TrainingSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One attempt at one job on this worker. The training thread runs {@link #run()}; the worker's
 * heartbeat thread calls {@link #heartbeat()}, which flushes buffered metrics, renews the lease and
 * passes the client's cancel or pause to the run. Steps never wait for the database.
 */
final class JobExecution implements TrainingListener {

    private static final Logger LOG = LoggerFactory.getLogger(JobExecution.class);

    private final JobRunner runner;
    final Attempt attempt;
    final JobRecord job;
    final List<Device> devices;
    private final Duration lease;
    private final RunControl control = new RunControl();
    private final long memoryBudgetBytes;
    /** Set when the run starts: the growth of the process from then on is the attempt's memory. */
    private volatile MemoryBudget memory;

    private final MetricBuffer metrics = new MetricBuffer();
    private final MetricEvents metricEvents = new MetricEvents();
    /**
     * The newest validation at or before the latest step, for the checkpoints' {@code valid_*}
     * figures; a resumed attempt starts from the one its job stored before the checkpoint.
     */
    private volatile Evaluated lastEvaluation;

    private final ArtifactCheckpointStore checkpointStore;
    private final Path workDirectory;
    /** This claim's random tag: what it writes under its own names never meets another claim's. */
    private final String claim = Ids.next("claim");

    private final FailureMessages failures;
    private volatile StepReport latest;
    /** What this attempt last stored of the per-parameter memory. */
    private volatile List<ParameterMemory> writtenParameterMemory;

    private volatile boolean lost;
    /** Set once this attempt's final write landed: the job is no longer ours to renew. */
    private volatile boolean ended;

    private final Object endLock = new Object();
    private volatile boolean cancelRequested;
    private volatile boolean pauseRequested;
    private volatile boolean requeueRequested;
    private volatile int firstStep = -1;
    private volatile long firstStepNanos;

    JobExecution(JobRunner runner, Attempt attempt, List<Device> devices, Duration lease, long memoryBudgetBytes) {
        this.runner = runner;
        this.attempt = attempt;
        this.job = attempt.job();
        this.devices = devices;
        this.lease = lease;
        this.memoryBudgetBytes = memoryBudgetBytes;
        this.workDirectory = runner.workDirectory(job, claim);
        this.failures = new FailureMessages(List.of(runner.directories.work(), runner.directories.models()));
        this.checkpointStore = new ArtifactCheckpointStore(runner.artifacts, job.id(), attempt::checkpointDeleted);
    }

    /** Trains and records the outcome; never throws. */
    void run() {
        try {
            // before the data and the model: both are the attempt's memory
            memory = MemoryBudget.startingNow(memoryBudgetBytes);
            control.limitMemory(memory);
            String where = devices.stream().map(DeviceInventory::name).collect(Collectors.joining(", "));
            // the tenant reads events: which worker (named after its host) runs the attempt is for the log
            LOG.info(
                    "Job {} attempt {} started on worker {} ({})",
                    job.id(),
                    job.claim().attempt(),
                    attempt.workerId(),
                    where);
            attempt.info(
                    "status",
                    "Attempt " + job.claim().attempt() + " started (" + where + ")"
                            + (job.latestCheckpoint() != null ? ", resuming from " + job.latestCheckpoint() : ""));
            if (job.latestCheckpoint() != null) {
                int resumeStep = stepOf(job.latestCheckpoint());
                attempt.dropMetricsAfter(resumeStep);
                attempt.latestEvaluation(resumeStep)
                        .ifPresent(p -> lastEvaluation = new Evaluated(p.step(), p.validLoss(), p.validAccuracy()));
            }
            TrainingSpec spec = runner.spec(attempt, devices, workDirectory, checkpointStore);
            RunOutcome outcome = new TrainingRun(spec, control, this).run();
            metricEvents.runEnded();
            flush();
            finish(outcome, spec);
        } catch (InvalidDataException e) {
            List<DataProblem> problems = e.problems();
            String param = "validation".equals(problems.get(0).file()) ? "validation_file" : "training_file";
            userError(
                    FailureCode.INVALID_FILE,
                    problems.stream().limit(20).map(DataProblem::toString).collect(Collectors.joining("; ")),
                    param);
        } catch (MemoryBudgetExceededException e) {
            // the job's settings ask for more than a worker grants a job: the user's to change
            userError(
                    FailureCode.OUT_OF_MEMORY,
                    e.getMessage() + " (the worker's memory budget for a job); use a smaller"
                            + " batch_size or shorter examples",
                    "hyperparameters.batch_size");
        } catch (TrainingFailedException e) {
            userError(
                    FailureCode.TRAINING_DIVERGED,
                    e.getMessage() + " (try a smaller learning_rate or clip_threshold, or check the data)",
                    "hyperparameters");
        } catch (IllegalArgumentException e) {
            userError(FailureCode.INVALID_JOB, e.getMessage(), "model");
        } catch (Exception | Error e) {
            platformError(e);
        } finally {
            deleteWorkDirectory();
        }
    }

    private void finish(RunOutcome outcome, TrainingSpec spec) throws IOException {
        if (lost) {
            attempt.warn(
                    "status",
                    "Attempt " + job.claim().attempt()
                            + " stopped: the worker lost its lease and another attempt owns the job");
            return;
        }
        switch (outcome.status()) {
            case COMPLETED -> {
                JobRunner.StoredModel stored = runner.storeModel(job, spec.outputDirectory(), claim);
                AtomicReference<ModelRecord> registered = new AtomicReference<>();
                if (end(() -> {
                    registered.set(attempt.succeed(
                                    stored.artifactKey(), stored.bytes(), outcome.steps(), outcome.trainedTokens())
                            .orElse(null));
                    return registered.get() != null;
                })) {
                    attempt.info(
                            "status",
                            "Job succeeded after " + outcome.steps() + " steps: "
                                    + registered.get().id()
                                    + String.format(
                                            " (train loss %.4f%s)",
                                            outcome.lastTrainLoss(),
                                            Float.isNaN(outcome.lastValidLoss())
                                                    ? ""
                                                    : String.format(", valid loss %.4f", outcome.lastValidLoss())));
                } else {
                    runner.artifacts.delete(stored.artifactKey());
                }
            }
            case CANCELLED -> {
                if (end(attempt::cancelled)) {
                    attempt.info("status", "Job cancelled at step " + outcome.steps());
                }
            }
            case PAUSED -> {
                JobStatus to = requeueRequested && !pauseRequested ? JobStatus.QUEUED : JobStatus.PAUSED;
                if (end(() -> attempt.release(to))) {
                    attempt.info(
                            "status",
                            to == JobStatus.PAUSED
                                    ? "Job paused at step " + outcome.steps() + " (checkpoint "
                                            + outcome.lastCheckpoint() + ")"
                                    : "The worker is stopping: job requeued at step " + outcome.steps()
                                            + " (checkpoint " + outcome.lastCheckpoint() + ")");
                }
            }
        }
    }

    private void userError(FailureCode code, String detail, String param) {
        String message = failures.scrub(detail);
        metricEvents.runEnded();
        flushQuietly();
        if (!lost && end(() -> attempt.fail(new JobRecord.Failure(code, message, param)))) {
            attempt.error("status", "Job failed: " + message);
        }
    }

    /** Not the user's fault: retried on another attempt while attempts remain. */
    private void platformError(Throwable e) {
        LOG.error(
                "Job {} attempt {} failed on the platform side",
                job.id(),
                job.claim().attempt(),
                e);
        metricEvents.runEnded();
        flushQuietly();
        if (lost) {
            return;
        }
        String message = failures.describe(e);
        try {
            // the worker's own store, not the job: charging it would burn every attempt in seconds
            if (!runner.artifacts.writable() && end(attempt::releaseUncharged)) {
                // the cause (with server paths) is in the log above, not in what the tenant reads
                attempt.warn(
                        "status",
                        "Attempt " + job.claim().attempt() + " could not write to the"
                                + " artifact store; requeued without using up an attempt, "
                                + "to run once the store can be written");
            } else if (job.claim().attempt() < job.claim().maxAttempts()
                    && end(() -> attempt.release(JobStatus.QUEUED))) {
                attempt.warn(
                        "status",
                        "Attempt " + job.claim().attempt() + " failed (" + message
                                + "); requeued to resume from the newest checkpoint");
            } else if (end(() -> attempt.fail(new JobRecord.Failure(FailureCode.PLATFORM_ERROR, message, null)))) {
                attempt.error("status", "Job failed on attempt " + job.claim().attempt() + ": " + message);
            }
        } catch (RuntimeException storeDown) {
            // the lease will expire and another worker (or this one) will retry the job
            LOG.error("Cannot record the failure of job {}", job.id(), storeDown);
        }
    }

    /** Makes the attempt's final write, never at the same time as a lease renewal. */
    private boolean end(BooleanSupplier write) {
        synchronized (endLock) {
            ended = write.getAsBoolean();
            return ended;
        }
    }

    /** Heartbeat: report progress, renew the lease, pass on the client's requests. */
    void heartbeat() {
        Optional<RequestedAction> action;
        synchronized (endLock) {
            if (ended) {
                return;
            }
            // renew first: a slow metrics flush must not cost the lease. The memory measured here,
            // between the run's own checks, is what the lease reaper weighs if this process dies.
            MemoryBudget m = memory;
            Long peak = null;
            if (m != null && m.measure() >= 0) {
                peak = m.peakBytes();
            }
            action = attempt.renew(lease, peak);
        }
        if (action.isEmpty()) {
            if (!lost) {
                LOG.warn(
                        "Job {} attempt {}: lease lost; stopping the run",
                        job.id(),
                        job.claim().attempt());
            }
            lost = true;
            control.cancel();
        } else if (action.get() == RequestedAction.CANCEL && !cancelRequested) {
            cancelRequested = true;
            control.cancel();
        } else if (action.get() == RequestedAction.PAUSE && !pauseRequested) {
            pauseRequested = true;
            control.pause();
        }
        flush();
    }

    /** The worker is stopping: checkpoint and go back to the queue. */
    void requeue() {
        requeueRequested = true;
        control.pause();
    }

    private void flush() {
        // the store unreachable: the points and events wait for the next heartbeat
        metrics.flushTo(
                attempt::addMetrics,
                r -> attempt.evaluation(r.step(), r.validLoss(), MetricBuffer.finite(r.accuracy())));
        metricEvents.flushTo(attempt::metrics);
        StepReport r = latest;
        if (r != null && !lost) {
            StepReport.Progress p = r.progress();
            StepReport.OptimizerMemory m = r.optimizerMemory();
            attempt.progress(
                    new JobRecord.Progress(
                            p.step(), p.totalSteps(), MetricBuffer.finite(p.etaSeconds()), p.trainedTokens()),
                    new JobRecord.Memory(m.stateBytes(), m.adamEquivalentBytes(), m.parameterBytes()));
            writeParameterMemory(m);
        }
    }

    /** The per-parameter list is large and changes once per attempt: written only when it changed. */
    private void writeParameterMemory(StepReport.OptimizerMemory m) {
        if (m.byParameter().isEmpty()) {
            return;
        }
        List<ParameterMemory> parameters = ParameterMemories.of(m.byParameter());
        if (!parameters.equals(writtenParameterMemory) && attempt.parameterMemory(parameters)) {
            writtenParameterMemory = parameters;
        }
    }

    private void flushQuietly() {
        try {
            flush();
        } catch (RuntimeException e) {
            LOG.warn("Job {}: metrics not flushed", job.id(), e);
        }
    }

    // TrainingListener, on the training thread

    @Override
    public void onStep(StepReport r) {
        if (firstStep < 0) {
            firstStepNanos = System.nanoTime();
            firstStep = r.progress().step();
        }
        latest = r;
        metrics.add(r);
        metricEvents.step(r);
    }

    @Override
    public void onEvaluation(EvaluationReport r) {
        lastEvaluation = new Evaluated(r.step(), MetricBuffer.finite(r.validLoss()), MetricBuffer.finite(r.accuracy()));
        metricEvents.evaluation(r);
        if (!metrics.addEvaluation(r)) {
            attempt.evaluation(r.step(), r.validLoss(), MetricBuffer.finite(r.accuracy()));
        }
    }

    @Override
    public void onCheckpoint(String name, int step, long bytes) {
        StepReport r = latest;
        Double trainLoss = null;
        Double trainAccuracy = null;
        if (r != null && r.progress().step() == step) {
            trainLoss = MetricBuffer.finite(r.trainLoss());
            trainAccuracy = MetricBuffer.finite(r.trainAccuracy());
        } else if (r == null) {
            // a resumed attempt paused before its first step: the step's figures are the stored ones
            Optional<MetricPoint> stored = attempt.metricsAt(step);
            trainLoss = stored.map(MetricPoint::trainLoss).orElse(null);
            trainAccuracy = stored.map(MetricPoint::trainAccuracy).orElse(null);
        }
        Evaluated e = lastEvaluation;
        boolean evaluated = e != null && e.step() <= step;
        Metrics figures = new Metrics(
                trainLoss, trainAccuracy, evaluated ? e.validLoss() : null, evaluated ? e.validAccuracy() : null);
        if (attempt.checkpointed(name, step, bytes, figures, checkpointStore.key(name))) {
            attempt.info("checkpoint", "Checkpoint " + name + " written at step " + step + " (" + bytes + " bytes)");
        }
    }

    @Override
    public void onWarning(DataProblem warning) {
        attempt.warn("data_warning", warning.toString());
    }

    /** The step the last report was for, for metrics. */
    StepReport latest() {
        return latest;
    }

    /** Optimizer steps per second in this attempt, since its first step (so setup and a resume's start do not count).
     * */
    double stepsPerSecond() {
        StepReport r = latest;
        long nanos = System.nanoTime() - firstStepNanos;
        return r == null || r.progress().step() == firstStep || nanos <= 0
                ? 0
                : (r.progress().step() - firstStep) / (nanos / 1e9);
    }

    /** A validation's figures at a step. */
    private record Evaluated(int step, Double validLoss, Double validAccuracy) {}

    private static int stepOf(String checkpointName) {
        return Integer.parseInt(checkpointName.substring(checkpointName.lastIndexOf('-') + 1));
    }

    private void deleteWorkDirectory() {
        try {
            LocalDirectories.deleteTree(workDirectory);
        } catch (UncheckedIOException e) {
            LOG.warn("Cannot delete {}", workDirectory, e);
        }
    }
}
