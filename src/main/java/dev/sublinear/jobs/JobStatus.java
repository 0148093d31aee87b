package dev.sublinear.jobs;

import dev.sublinear.jobs.common.InvalidRequestException;
import dev.sublinear.jobs.common.WireId;
import java.util.Arrays;

/** Where a job is. {@link #terminal()} ones never change again. */
public enum JobStatus implements WireId {
    VALIDATING_FILES,
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
