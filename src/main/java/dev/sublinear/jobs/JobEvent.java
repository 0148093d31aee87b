package dev.sublinear.jobs;

/**
 * Something that happened to a job, in order ({@code seq} grows).
 *
 * @param type a short machine-readable kind: status, checkpoint, data_warning, evaluation, …
 * @param data optional JSON object with the event's figures
 */
public record JobEvent(
        long seq,
        String id,
        String jobId,
        long createdAt,
        EventLevel level,
        String type,
        String message,
        String data) {}
