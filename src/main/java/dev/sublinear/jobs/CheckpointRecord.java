package dev.sublinear.jobs;

/**
 * A checkpoint a job wrote: {@code name} within the job, {@code id} global.
 *
 * @param metrics the training figures of its step and the newest validation at or before it
 */
public record CheckpointRecord(
        String id,
        String jobId,
        String tenantId,
        String name,
        int step,
        long bytes,
        Metrics metrics,
        String artifactKey,
        long createdAt) {

    /**
     * A checkpoint's figures; null where there is no value.
     *
     * @param trainLoss the loss of the checkpoint's step
     * @param trainAccuracy the mean token accuracy of that step (fraction of rows right for classification)
     * @param validLoss the newest validation at or before the step, over the whole validation file
     * @param validAccuracy that validation's mean token accuracy (fraction of rows right for classification)
     */
    public record Metrics(Double trainLoss, Double trainAccuracy, Double validLoss, Double validAccuracy) {}
}
