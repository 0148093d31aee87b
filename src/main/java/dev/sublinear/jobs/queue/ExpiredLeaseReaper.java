package dev.sublinear.jobs.queue;

import dev.sublinear.jobs.EventLevel;
import dev.sublinear.jobs.EventStore;
import dev.sublinear.jobs.FailureCode;
import dev.sublinear.jobs.JobRecord;
import dev.sublinear.jobs.JobStatus;
import dev.sublinear.jobs.ResultsFiles;
import dev.sublinear.jobs.common.JobsProperties;
import dev.sublinear.jobs.workers.WorkerRecord;
import dev.sublinear.jobs.workers.WorkerRegistry;
import dev.sublinear.jobs.workers.WorkerStatus;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Takes jobs back from workers that stopped heartbeating (crash, kill -9, lost network): when a
 * lease expires the job goes back to the queue and resumes on any worker from its newest
 * checkpoint, or fails after its last attempt, or at once when the worker last reported it at or
 * over its memory budget (it most likely took that worker down; see {@link JobQueue#expiry}). On the
 * same timer it removes the workers that stopped or were lost longer ago than
 * {@code sublinear.jobs.remove-gone-workers-after}, so {@code /v1/workers} does not grow with every
 * restart. Runs in every process; the conditional updates in {@link JobQueue#expire} and
 * {@link WorkerRegistry#removeSilentSince} make concurrent reapers harmless.
 */
@Component
public class ExpiredLeaseReaper implements SmartLifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(ExpiredLeaseReaper.class);

    private final JobQueue queue;
    private final WorkerRegistry workers;
    private final EventStore events;
    private final ResultsFiles results;
    private final JobsProperties properties;
    private final Clock clock;
    private ScheduledExecutorService timer;

    public ExpiredLeaseReaper(
            JobQueue queue,
            WorkerRegistry workers,
            EventStore events,
            ResultsFiles results,
            JobsProperties properties,
            Clock clock) {
        this.queue = queue;
        this.workers = workers;
        this.events = events;
        this.results = results;
        this.properties = properties;
        this.clock = clock;
    }

    /** One pass; returns how many jobs were taken back. */
    public int reap() {
        int count = 0;
        long now = clock.millis();
        for (JobRecord job : queue.expired(now)) {
            JobQueue.Expiry expiry = queue.expiry(job);
            // a job it ends (cancelled or failed) gets its results file in the same transaction
            boolean taken = expiry.to().terminal()
                    ? results.end(job, () -> queue.expire(job, expiry, now))
                    : queue.expire(job, expiry, now);
            if (taken) {
                count++;
                String what = switch (expiry.to()) {
                    case CANCELLED -> "cancelled";
                    case PAUSED -> "paused";
                    case FAILED ->
                        expiry.failure().code() == FailureCode.OUT_OF_MEMORY
                                ? "failed: " + expiry.failure().message()
                                : "failed: no attempts left (" + job.claim().maxAttempts() + ")";
                    default ->
                        "requeued to resume from "
                                + (job.latestCheckpoint() == null ? "the start" : job.latestCheckpoint());
                };
                events.add(
                        job.id(),
                        expiry.to() == JobStatus.FAILED ? EventLevel.ERROR : EventLevel.WARN,
                        "status",
                        "The job's worker stopped heartbeating during attempt "
                                + job.claim().attempt() + "; job " + what,
                        null);
                LOG.warn(
                        "Job {}: lease of worker {} expired; {}",
                        job.id(),
                        job.claim().workerId(),
                        what);
            }
        }
        return count;
    }

    /** Removes the workers gone (stopped, or silent) for longer than the setting; returns how many. */
    public int removeGoneWorkers() {
        long now = clock.millis();
        List<WorkerRecord> removed = workers.removeSilentSince(
                now - properties.removeGoneWorkersAfter().toMillis());
        for (WorkerRecord w : removed) {
            // a row still "online" this long after its last heartbeat is a worker that was lost
            LOG.info(
                    "Worker {} removed from the workers list: {} {} ago (remove-gone-workers-after {})",
                    w.id(),
                    w.status() == WorkerStatus.STOPPED ? "stopped" : "lost, last heartbeat",
                    describe(Duration.ofMillis(now - w.lastHeartbeat())),
                    describe(properties.removeGoneWorkersAfter()));
        }
        return removed.size();
    }

    /** A duration as people write it: "24h 3m", "2m 5s", "4s". */
    static String describe(Duration d) {
        StringBuilder out = new StringBuilder();
        if (d.toDays() > 0) {
            out.append(d.toDays()).append("d ");
        }
        if (d.toHoursPart() > 0) {
            out.append(d.toHoursPart()).append("h ");
        }
        if (d.toMinutesPart() > 0) {
            out.append(d.toMinutesPart()).append("m ");
        }
        // seconds matter only for short settings (tests, a demo); next to hours they are noise
        if ((d.toSecondsPart() > 0 && d.toHours() == 0) || out.isEmpty()) {
            out.append(d.toSecondsPart()).append("s");
        }
        return out.toString().trim();
    }

    @Override
    public void start() {
        timer = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "lease-reaper"));
        long period = properties.reaperInterval().toMillis();
        timer.scheduleWithFixedDelay(
                () -> {
                    try {
                        reap();
                    } catch (RuntimeException e) {
                        LOG.warn("Looking for expired leases failed", e);
                    }
                    try {
                        removeGoneWorkers();
                    } catch (RuntimeException e) {
                        LOG.warn("Removing gone workers failed", e);
                    }
                },
                period,
                period,
                TimeUnit.MILLISECONDS);
    }

    @Override
    public void stop() {
        timer.shutdownNow();
        timer = null;
    }

    @Override
    public boolean isRunning() {
        return timer != null;
    }
}
