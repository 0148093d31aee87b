package dev.sublinear.jobs.common;

import org.springframework.dao.DataAccessResourceFailureException;

/**
 * The job store could not write because its disk is full: nothing was stored (HTTP 507). A
 * resource failure, so code that retries a store outage treats it alike.
 */
public final class InsufficientStorageException extends DataAccessResourceFailureException {

    public InsufficientStorageException(String message, Throwable cause) {
        super(message, cause);
    }
}
