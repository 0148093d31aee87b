package dev.sublinear.jobs.models;

import java.time.Duration;

/** A generation ran past {@code sublinear.inference.timeout} and was stopped (HTTP 503). */
public final class InferenceTimeoutException extends RuntimeException {

    public InferenceTimeoutException(Duration timeout) {
        super("the generation ran past the limit of " + timeout.toSeconds() + " s and was stopped;"
                + " ask for fewer max_tokens");
    }
}
