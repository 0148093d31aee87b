package dev.sublinear.jobs;

import dev.sublinear.jobs.common.WireId;

/** What the client asked the worker running a job to do at its next heartbeat. */
public enum RequestedAction implements WireId {
    /** Nothing: NULL in {@code jobs.requested_action}. */
    NONE,
    CANCEL,
    PAUSE;

    /** The value stored in {@code jobs.requested_action}: "cancel", "pause", or null for {@link #NONE}. */
    @Override
    public String id() {
        return this == NONE ? null : WireId.super.id();
    }

    /** The action a stored value names; null is {@link #NONE}. */
    public static RequestedAction fromId(String id) {
        return id == null ? NONE : WireId.parse(RequestedAction.class, id);
    }
}
