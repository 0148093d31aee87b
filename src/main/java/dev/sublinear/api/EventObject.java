package dev.sublinear.api;

import dev.sublinear.jobs.JobEvent;

/** A job event ({@code object: "fine_tuning.job.event"}); {@code data} is a JSON object's text or null. */
public record EventObject(String id, String object, long createdAt, String level, String type, String message,
        String data) {

    static EventObject of(JobEvent e) {
        return new EventObject(e.id(), "fine_tuning.job.event", e.createdAt() / 1000, e.level(), e.type(), e.message(),
                e.data());
    }
}
