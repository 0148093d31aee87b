package dev.sublinear.jobs;

import dev.sublinear.training.data.TaskType;

/**
 * A job's row: what was asked for, where it stands, and its parts as the worker writes them.
 *
 * @param requestedAction what the client asked a running job's worker to do ({@link RequestedAction#NONE}
 *     when nothing)
 * @param claim which worker holds it, and the count of attempts
 * @param progress how far the training got
 * @param memory the optimizer memory the worker last reported, or null before it reported any
 * @param latestCheckpoint the newest checkpoint's name, or null
 * @param fineTunedModel the {@code ft:} model id once the job succeeded, or null
 * @param resultFile the id of its results file once it ended after a step (see {@link ResultsFiles}), or null
 * @param failure why the job failed, or null when it has not
 * @param times when it was created, first started and finished
 */
public record JobRecord(
        String id,
        String tenantId,
        String model,
        String trainingFile,
        String validationFile,
        TaskType task,
        JobSettings settings,
        int gpus,
        int priority,
        JobStatus status,
        RequestedAction requestedAction,
        Claim claim,
        Progress progress,
        Memory memory,
        String latestCheckpoint,
        String fineTunedModel,
        String resultFile,
        Failure failure,
        Times times) {

    /**
     * Who holds the job. {@code workerId} and {@code devices} are set while a worker holds it (and
     * may stay after it ends); {@code leaseExpiresAt} (epoch milliseconds) only while it holds it.
     *
     * @param attempt attempts started so far
     */
    public record Claim(String workerId, String devices, int attempt, int maxAttempts, Long leaseExpiresAt) {

        /** No worker has held the job yet. */
        public static Claim unclaimed(int maxAttempts) {
            return new Claim(null, null, 0, maxAttempts, null);
        }
    }

    /**
     * Optimizer steps done of the total, as the worker last reported them.
     *
     * @param etaSeconds the estimated seconds to go, or null when not estimated
     * @param trainedTokens tokens trained, counting steps before a resume
     */
    public record Progress(int step, int totalSteps, Double etaSeconds, long trainedTokens) {

        public static final Progress NONE = new Progress(0, 0, null, 0);
    }

    /** The bytes of optimizer state the run holds, what Adam would hold, and the parameters' bytes. */
    public record Memory(long stateBytes, long adamEquivalentBytes, long parameterBytes) {}

    /**
     * Why a job failed.
     *
     * @param code invalid_file, training_diverged, invalid_job, out_of_memory or platform_error
     * @param param the request's field to change, or null
     */
    public record Failure(FailureCode code, String message, String param) {}

    /** Epoch milliseconds; {@code startedAt} and {@code finishedAt} are null until then. */
    public record Times(long createdAt, Long startedAt, Long finishedAt) {

        public static Times created(long createdAt) {
            return new Times(createdAt, null, null);
        }
    }

    /** A new job, queued at {@code createdAt}, that no worker has touched. */
    public static JobRecord queued(
            String id,
            String tenantId,
            String model,
            String trainingFile,
            String validationFile,
            TaskType task,
            JobSettings settings,
            int gpus,
            int priority,
            int maxAttempts,
            long createdAt) {
        return new JobRecord(
                id,
                tenantId,
                model,
                trainingFile,
                validationFile,
                task,
                settings,
                gpus,
                priority,
                JobStatus.QUEUED,
                RequestedAction.NONE,
                Claim.unclaimed(maxAttempts),
                Progress.NONE,
                null,
                null,
                null,
                null,
                null,
                Times.created(createdAt));
    }

    /** The task's id: "causal-lm" or "classification". */
    public String taskId() {
        return task.id();
    }
}
