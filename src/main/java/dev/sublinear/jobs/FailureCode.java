package dev.sublinear.jobs;

import dev.sublinear.jobs.common.WireId;

/** Why a job failed; {@link #id()} is what the table and the API hold. */
public enum FailureCode implements WireId {
    /** A training or validation file the run could not use (the user's to fix). */
    INVALID_FILE,
    /** The job needs more memory than a worker grants one (the user's: a smaller batch). */
    OUT_OF_MEMORY,
    /** The loss or an update stopped being finite (the user's: a smaller rate, or the data). */
    TRAINING_DIVERGED,
    /** The settings or the base model do not make a run (the user's). */
    INVALID_JOB,
    /** Ours: workers failed or were lost on every attempt. */
    PLATFORM_ERROR;

    public static FailureCode fromId(String id) {
        return WireId.parse(FailureCode.class, id);
    }
}
