package dev.sublinear.jobs.workers;

import dev.sublinear.jobs.common.WireId;

/**
 * Where a worker stands; {@link #id()} is what the table and the API hold. The table holds
 * {@link #ONLINE} or {@link #STOPPED} only: readers judge {@link #LOST} by the last heartbeat.
 */
public enum WorkerStatus implements WireId {
    ONLINE,
    /** Shut down cleanly. */
    STOPPED,
    /** Silent for longer than the timeout. */
    LOST;

    public static WorkerStatus fromId(String id) {
        return WireId.parse(WorkerStatus.class, id);
    }
}
