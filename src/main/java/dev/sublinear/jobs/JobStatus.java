package dev.sublinear.jobs;

import dev.sublinear.jobs.common.InvalidRequestException;
import dev.sublinear.jobs.common.WireId;
import java.util.Arrays;

/**
 * Where a job is. {@link #terminal()} ones never change again. Files are validated at upload and
 * again at creation, so a job is born {@link #QUEUED}: OpenAI's {@code validating_files} has no
 * counterpart here (the contract lists exactly these values).
 */
public enum JobStatus implements WireId {
    QUEUED,
    RUNNING,
    PAUSED,
    SUCCEEDED,
    FAILED,
    CANCELLED;

    public boolean terminal() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }

    public static JobStatus fromId(String id) {
        return WireId.find(JobStatus.class, id)
                .orElseThrow(() -> new InvalidRequestException(
                        "status",
                        "unknown status '" + InvalidRequestException.echo(id) + "': expected one of "
                                + Arrays.stream(values()).map(JobStatus::id).toList()));
    }
}
