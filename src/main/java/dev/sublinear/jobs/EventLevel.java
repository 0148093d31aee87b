package dev.sublinear.jobs;

import dev.sublinear.jobs.common.WireId;

/** How much a job event matters; {@link #id()} is what the table and the API hold. */
public enum EventLevel implements WireId {
    INFO,
    WARN,
    ERROR;

    public static EventLevel fromId(String id) {
        return WireId.parse(EventLevel.class, id);
    }
}
