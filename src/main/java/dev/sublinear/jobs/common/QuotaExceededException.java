package dev.sublinear.jobs.common;

/** A tenant's limit would be passed (HTTP 429, without Retry-After: waiting alone does not help). */
public final class QuotaExceededException extends InvalidRequestException {

    public QuotaExceededException(String param, String message) {
        super(param, message);
    }
}
