package dev.sublinear.jobs.models;

/**
 * A model that the cache of loaded models cannot hold ({@code sublinear.inference.model-cache-bytes}):
 * larger than the whole budget (HTTP 507, retrying does not help), or the models in use leave no room
 * for it now (HTTP 503 with {@code Retry-After}).
 */
public final class ModelCacheException extends RuntimeException {

    /** Why the model was refused. */
    public enum Reason {
        TOO_LARGE,
        FULL
    }

    private final Reason reason;

    public ModelCacheException(Reason reason, String message) {
        super(message);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}
