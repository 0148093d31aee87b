package dev.sublinear.jobs;

import dev.sublinear.training.data.TaskType;

/**
 * A job's row. Times are epoch milliseconds; {@code leaseExpiresAt} and {@code workerId} are set
 * while a worker holds it.
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
        String requestedAction,
        String workerId,
        String devices,
        int attempt,
        int maxAttempts,
        Long leaseExpiresAt,
        int step,
        int totalSteps,
        Double etaSeconds,
        long trainedTokens,
        Long stateBytes,
        Long adamEquivalentBytes,
        Long parameterBytes,
        String latestCheckpoint,
        String fineTunedModel,
        String errorCode,
        String errorMessage,
        String errorParam,
        long createdAt,
        Long startedAt,
        Long finishedAt) {

    public static final String CANCEL = "cancel";
    public static final String PAUSE = "pause";

    /** The task's id: "causal-lm" or "classification". */
    public String taskId() {
        return task.id();
    }
}
