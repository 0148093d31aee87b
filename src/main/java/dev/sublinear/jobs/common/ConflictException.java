package dev.sublinear.jobs.common;

/** A request that is well formed but clashes with the resource's state (HTTP 409). */
public final class ConflictException extends InvalidRequestException {

    public ConflictException(String param, String message) {
        super(param, message);
    }
}
