package dev.sublinear.jobs;

/** A checkpoint a job wrote: {@code name} within the job, {@code id} global. */
public record CheckpointRecord(
        String id,
        String jobId,
        String tenantId,
        String name,
        int step,
        long bytes,
        Double trainLoss,
        Double validLoss,
        String artifactKey,
        long createdAt) {}
