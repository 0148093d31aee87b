package dev.sublinear.jobs.models;

import dev.sublinear.training.data.TaskType;

/** A fine-tuned model: the output of job {@code jobId}, trained from {@code baseModel}. */
public record ModelRecord(
        String id,
        String tenantId,
        String baseModel,
        String jobId,
        TaskType task,
        String artifactKey,
        long bytes,
        long createdAt) {}
