package dev.sublinear.jobs.models;

/**
 * A tenant, or the whole API process, runs as many inference calls as it may (HTTP 429 with
 * {@code Retry-After}: unlike a quota, waiting does help).
 */
public final class TooManyInferencesException extends RuntimeException {

    private final long retryAfterSeconds;

    public TooManyInferencesException(String message, long retryAfterSeconds) {
        super(message);
        this.retryAfterSeconds = retryAfterSeconds;
    }

    /** When a slot is likely free, in whole seconds (at least 1). */
    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
