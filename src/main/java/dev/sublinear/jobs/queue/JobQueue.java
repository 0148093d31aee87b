package dev.sublinear.jobs.queue;

import dev.sublinear.jobs.FailureCode;
import dev.sublinear.jobs.JobRecord;
import dev.sublinear.jobs.JobStatus;
import dev.sublinear.jobs.JobStore;
import dev.sublinear.jobs.RequestedAction;
import dev.sublinear.jobs.tenants.LimitsProperties;
import dev.sublinear.training.run.MemoryBudget;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.IntFunction;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.support.TransactionTemplate;

/**
 * Claims, leases and heartbeats in one place. A worker claims a queued job under a row lock
 * ({@code FOR UPDATE SKIP LOCKED}: concurrent claimers skip each other's rows instead of waiting)
 * and holds it by a lease its heartbeat renews. Every write a worker makes to a job it runs is
 * fenced by (worker, attempt): a worker whose lease expired and whose job went to another can no
 * longer change it.
 */
@Repository
public class JobQueue {

    private final JdbcClient jdbc;
    private final TransactionTemplate transactions;
    private final JobStore jobs;
    private final LimitsProperties limits;

    public JobQueue(JdbcClient jdbc, TransactionTemplate transactions, JobStore jobs, LimitsProperties limits) {
        this.jdbc = jdbc;
        this.transactions = transactions;
        this.jobs = jobs;
        this.limits = limits;
    }

    /** Who holds a job: the fence every worker write carries. */
    public record Holder(String jobId, String workerId, int attempt) {}

    /**
     * Takes the best queued job that needs at most {@code maxGpus} GPUs (0: one device of any kind)
     * and whose memory estimate fits the worker's budget. Fair across tenants: the tenant with the
     * fewest running jobs goes first, then the one whose oldest such job has waited longest; a
     * tenant's priority orders only its own jobs (highest first, then oldest), so that no tenant's
     * priority 100 jumps ahead of another tenant's jobs.
     *
     * @param memoryBudgetBytes the memory one job may take on this worker
     * @param devicesFor the devices the worker gives a job needing that many GPUs
     */
    public Optional<JobRecord> claim(
            String workerId,
            int maxGpus,
            long memoryBudgetBytes,
            IntFunction<String> devicesFor,
            long now,
            Duration lease) {
        return transactions.execute(status -> {
            // A tenant at its running-jobs limit is skipped: its jobs wait, others' go ahead. The
            // tenant's rank comes from correlated subqueries, not GROUP BY or window functions, which
            // PostgreSQL and H2 refuse with FOR UPDATE; tenant_id keeps a tenant's jobs together
            // when two tenants tie, so that priorities never compare across tenants.
            Optional<Candidate> candidate = jdbc.sql("""
                    SELECT id, gpus, tenant_id FROM jobs WHERE status = 'queued' AND gpus <= ?
                      AND (memory_estimate_bytes IS NULL OR memory_estimate_bytes <= ?)
                      AND (SELECT COUNT(*) FROM jobs r WHERE r.tenant_id = jobs.tenant_id AND r.status = 'running')
                          < COALESCE((SELECT t.max_running_jobs FROM tenants t WHERE t.id = jobs.tenant_id), ?)
                    ORDER BY (SELECT COUNT(*) FROM jobs r WHERE r.tenant_id = jobs.tenant_id AND r.status = 'running'),
                             (SELECT MIN(w.created_at) FROM jobs w WHERE w.tenant_id = jobs.tenant_id
                                AND w.status = 'queued' AND w.gpus <= ?
                                AND (w.memory_estimate_bytes IS NULL OR w.memory_estimate_bytes <= ?)),
                             tenant_id, priority DESC, created_at, id
                    LIMIT 1 FOR UPDATE SKIP LOCKED""")
                    .params(maxGpus, memoryBudgetBytes, limits.maxRunningJobs(), maxGpus, memoryBudgetBytes)
                    .query((rs, n) -> new Candidate(rs.getString("id"), rs.getInt("gpus"), rs.getString("tenant_id")))
                    .optional();
            if (candidate.isEmpty()) {
                return Optional.<JobRecord>empty();
            }
            Candidate c = candidate.get();
            if (!underRunningLimit(c.tenantId())) {
                return Optional.<JobRecord>empty();
            }
            int updated = jdbc.sql("""
                    UPDATE jobs SET status = 'running', worker_id = ?, devices = ?, attempt = attempt + 1,
                                    lease_expires_at = ?, started_at = COALESCE(started_at, ?), eta_seconds = NULL,
                                    memory_budget_bytes = ?, memory_peak_bytes = NULL
                    WHERE id = ? AND status = 'queued'""")
                    .params(
                            workerId,
                            devicesFor.apply(c.gpus()),
                            now + lease.toMillis(),
                            now,
                            memoryBudgetBytes,
                            c.id())
                    .update();
            return updated == 1 ? jobs.find(c.id()) : Optional.<JobRecord>empty();
        });
    }

    /**
     * Re-counts the tenant's running jobs under a lock on its row, so that concurrent claimers
     * cannot together pass its limit.
     */
    private boolean underRunningLimit(String tenantId) {
        Integer own = jdbc.sql("SELECT max_running_jobs FROM tenants WHERE id = ? FOR UPDATE")
                .param(tenantId)
                .query((rs, n) -> rs.getObject("max_running_jobs", Integer.class))
                .optional()
                .orElse(null);
        int limit = own != null ? own : limits.maxRunningJobs();
        int running = jdbc.sql("SELECT COUNT(*) FROM jobs WHERE tenant_id = ? AND status = 'running'")
                .param(tenantId)
                .query(Integer.class)
                .single();
        return running < limit;
    }

    private record Candidate(String id, int gpus, String tenantId) {}

    /**
     * Renews the lease of a job the worker holds.
     *
     * @return the action requested by the client ({@link RequestedAction#NONE} when none), or empty if
     *     the worker no longer holds the job
     */
    public Optional<RequestedAction> renew(Holder holder, long now, Duration lease) {
        return renew(holder, now, lease, null);
    }

    /**
     * Renews the lease and records the most memory the attempt has taken so far: the evidence the
     * lease reaper weighs if this worker dies (see {@link #expiry}).
     *
     * @param memoryPeakBytes the attempt's peak memory, or null when not measured
     */
    public Optional<RequestedAction> renew(Holder holder, long now, Duration lease, Long memoryPeakBytes) {
        int updated = jdbc.sql(
                        "UPDATE jobs SET lease_expires_at = ?, memory_peak_bytes = COALESCE(?, memory_peak_bytes)"
                                + " WHERE id = ? AND worker_id = ? AND attempt = ? AND status = 'running'")
                .params(now + lease.toMillis(), memoryPeakBytes, holder.jobId(), holder.workerId(), holder.attempt())
                .update();
        if (updated == 0) {
            return Optional.empty();
        }
        return Optional.of(jdbc.sql("SELECT requested_action FROM jobs WHERE id = ?")
                .param(holder.jobId())
                .query((rs, n) -> RequestedAction.fromId(rs.getString("requested_action")))
                .single());
    }

    /** Records progress; false if the worker no longer holds the job. */
    public boolean progress(Holder h, JobRecord.Progress progress, JobRecord.Memory memory) {
        return jdbc.sql("""
                UPDATE jobs SET step = ?, total_steps = ?, eta_seconds = ?, trained_tokens = ?, state_bytes = ?,
                                adam_equivalent_bytes = ?, parameter_bytes = ?
                WHERE id = ? AND worker_id = ? AND attempt = ? AND status = 'running'""")
                        .params(
                                progress.step(),
                                progress.totalSteps(),
                                progress.etaSeconds(),
                                progress.trainedTokens(),
                                memory.stateBytes(),
                                memory.adamEquivalentBytes(),
                                memory.parameterBytes(),
                                h.jobId(),
                                h.workerId(),
                                h.attempt())
                        .update()
                == 1;
    }

    public boolean checkpointed(Holder h, String checkpointName) {
        return jdbc.sql("UPDATE jobs SET latest_checkpoint = ? WHERE id = ? AND worker_id = ? AND attempt = ?"
                                + " AND status = 'running'")
                        .params(checkpointName, h.jobId(), h.workerId(), h.attempt())
                        .update()
                == 1;
    }

    /** The run succeeded and its model is registered. */
    public boolean succeed(Holder h, String fineTunedModel, int step, long trainedTokens, long now) {
        return jdbc.sql("""
                UPDATE jobs SET status = 'succeeded', fine_tuned_model = ?, step = ?, trained_tokens = ?,
                                eta_seconds = 0, finished_at = ?, lease_expires_at = NULL, requested_action = NULL
                WHERE id = ? AND worker_id = ? AND attempt = ? AND status = 'running'""")
                        .params(fineTunedModel, step, trainedTokens, now, h.jobId(), h.workerId(), h.attempt())
                        .update()
                == 1;
    }

    public boolean fail(Holder h, JobRecord.Failure failure, long now) {
        return jdbc.sql("""
                UPDATE jobs SET status = 'failed', error_code = ?, error_message = ?, error_param = ?, finished_at = ?,
                                lease_expires_at = NULL, requested_action = NULL
                WHERE id = ? AND worker_id = ? AND attempt = ? AND status = 'running'""")
                        .params(
                                failure.code().id(),
                                failure.message(),
                                failure.param(),
                                now,
                                h.jobId(),
                                h.workerId(),
                                h.attempt())
                        .update()
                == 1;
    }

    public boolean cancelled(Holder h, long now) {
        return updateHeld(
                h, "status = 'cancelled', finished_at = ?, lease_expires_at = NULL, requested_action = NULL", now);
    }

    /** Gives a job up without ending it: to {@code paused} (the client asked) or {@code queued} (the worker stops). */
    public boolean release(Holder h, JobStatus to) {
        return jdbc.sql("""
                UPDATE jobs SET status = ?, worker_id = NULL, devices = NULL, lease_expires_at = NULL,
                                requested_action = NULL, eta_seconds = NULL
                WHERE id = ? AND worker_id = ? AND attempt = ? AND status = 'running'""")
                        .params(to.id(), h.jobId(), h.workerId(), h.attempt())
                        .update()
                == 1;
    }

    /**
     * Gives a job back to the queue without counting the attempt: it failed because the platform
     * could not write (the artifact store), not because of anything in the job.
     */
    public boolean releaseUncharged(Holder h) {
        return updateHeld(
                h,
                "status = 'queued', attempt = attempt - 1, worker_id = NULL, devices = NULL, lease_expires_at = NULL,"
                        + " requested_action = NULL, eta_seconds = NULL");
    }

    /** Sets {@code assignments} on a job the holder still runs; false when it no longer does. */
    private boolean updateHeld(Holder h, String assignments, Object... values) {
        List<Object> params = new ArrayList<>(List.of(values));
        params.addAll(List.of(h.jobId(), h.workerId(), h.attempt()));
        return jdbc.sql("UPDATE jobs SET " + assignments
                                + " WHERE id = ? AND worker_id = ? AND attempt = ? AND status = 'running'")
                        .params(params)
                        .update()
                == 1;
    }

    /** Running jobs whose lease ran out: their worker is gone. */
    public List<JobRecord> expired(long now) {
        return running("lease_expires_at < ?", now);
    }

    /** Running jobs that also meet {@code condition}, a SQL condition with one parameter. */
    private List<JobRecord> running(String condition, Object value) {
        return jdbc
                .sql("SELECT id FROM jobs WHERE status = 'running' AND " + condition)
                .param(value)
                .query(String.class)
                .list()
                .stream()
                .map(jobs::find)
                .flatMap(Optional::stream)
                .toList();
    }

    /** What expiring a job's lease does to it, and why it failed when {@code to} is failed (else null). */
    public record Expiry(JobStatus to, JobRecord.Failure failure) {}

    /**
     * What becomes of a job whose worker stopped heartbeating: cancelled or paused if the client had
     * asked; failed as the user's error ({@code out_of_memory}) when the worker last reported the
     * attempt at or over its memory budget, since the job most likely took its worker down and would
     * take the next one down too; failed after its last attempt; else back to the queue.
     */
    public Expiry expiry(JobRecord job) {
        if (job.requestedAction() == RequestedAction.CANCEL) {
            return new Expiry(JobStatus.CANCELLED, null);
        }
        if (job.requestedAction() == RequestedAction.PAUSE) {
            return new Expiry(JobStatus.PAUSED, null);
        }
        int attempt = job.claim().attempt();
        int maxAttempts = job.claim().maxAttempts();
        Expiry memory = jdbc.sql("SELECT memory_peak_bytes, memory_budget_bytes FROM jobs WHERE id = ? AND attempt = ?")
                .params(job.id(), attempt)
                .query((rs, n) -> {
                    Long peak = rs.getObject("memory_peak_bytes", Long.class);
                    Long budget = rs.getObject("memory_budget_bytes", Long.class);
                    if (peak == null || budget == null || peak < budget) {
                        return null;
                    }
                    return new Expiry(
                            JobStatus.FAILED,
                            new JobRecord.Failure(
                                    FailureCode.OUT_OF_MEMORY,
                                    "the job's worker stopped responding while attempt " + attempt + " held "
                                            + MemoryBudget.describe(peak)
                                            + " of memory, at or over the worker's memory budget of "
                                            + MemoryBudget.describe(budget)
                                            + "; it is not retried. Use a smaller batch_size or shorter"
                                            + " examples",
                                    "hyperparameters.batch_size"));
                })
                .optional()
                .orElse(null);
        if (memory != null) {
            return memory;
        }
        if (attempt >= maxAttempts) {
            return new Expiry(
                    JobStatus.FAILED,
                    new JobRecord.Failure(
                            FailureCode.PLATFORM_ERROR,
                            "the job's worker stopped responding on each of its " + maxAttempts + " attempts",
                            null));
        }
        return new Expiry(JobStatus.QUEUED, null);
    }

    /**
     * Takes a job away from a worker whose lease expired, as {@link #expiry} decides. False if
     * something else changed it first.
     */
    public boolean expire(JobRecord job, long now) {
        return expire(job, expiry(job), now);
    }

    /** Takes a job away from a worker whose lease expired, as decided; false if something else changed it first. */
    public boolean expire(JobRecord job, Expiry expiry, long now) {
        String sql = "UPDATE jobs SET status = ?, worker_id = NULL, devices = NULL, lease_expires_at = NULL,"
                + " requested_action = NULL, eta_seconds = NULL, error_code = ?, error_message = ?, error_param = ?,"
                + " finished_at = ?"
                + " WHERE id = ? AND status = 'running' AND worker_id = ? AND attempt = ? AND lease_expires_at < ?";
        JobStatus to = expiry.to();
        JobRecord.Failure failure = expiry.failure();
        return jdbc.sql(sql)
                        .params(
                                to.id(),
                                failure == null ? null : failure.code().id(),
                                failure == null ? null : failure.message(),
                                failure == null ? null : failure.param(),
                                to.terminal() ? now : null,
                                job.id(),
                                job.claim().workerId(),
                                job.claim().attempt(),
                                now)
                        .update()
                == 1;
    }

    /** Jobs a worker holds according to the store. */
    public List<JobRecord> heldBy(String workerId) {
        return running("worker_id = ?", workerId);
    }
}
