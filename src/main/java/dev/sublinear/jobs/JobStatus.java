package dev.sublinear.jobs;

import dev.sublinear.jobs.common.InvalidRequestException;
import java.util.Arrays;
import java.util.Locale;

/** Where a job is. {@link #terminal()} ones never change again. */
public enum JobStatus {
    VALIDATING_FILES,
    QUEUED,
    RUNNING,
    PAUSED,
    SUCCEEDED,
    FAILED,
    CANCELLED;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public boolean terminal() {
        return this == SUCCEEDED || this == FAILED || this == CANCELLED;
    }

    public static JobStatus fromId(String id) {
        return Arrays.stream(values())
                .filter(s -> s.id().equals(id))
                .findFirst()
                .orElseThrow(() -> new InvalidRequestException("status", "unknown status '" + InvalidRequestException.echo(id) + "': expected one of "
                        + Arrays.stream(values()).map(JobStatus::id).toList()));
    }
}
