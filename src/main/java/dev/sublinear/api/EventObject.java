package dev.sublinear.api;

import dev.sublinear.jobs.JobEvent;
import io.swagger.v3.oas.annotations.media.Schema;

/** A job event ({@code object: "fine_tuning.job.event"}); {@code data} is a JSON object's text or null. */
@Schema(
        description = "Something that happened to a job. `level` is info, warn or error; `type` is status,"
                + " checkpoint or data_warning.",
        example = "{\"id\": \"ftevent-abc123\", \"object\": \"fine_tuning.job.event\", "
                + "\"created_at\": 1795586218, \"level\": \"info\", \"type\": "
                + "\"checkpoint\", \"message\": \"Checkpoint step-00000100 "
                + "written at step 100 (3770414 bytes)\", \"data\": null}")
public record EventObject(
        String id,
        String object,
        long createdAt,
        String level,
        String type,
        String message,
        @Schema(types = {"string", "null"}) String data) {

    static EventObject of(JobEvent e) {
        return new EventObject(
                e.id(), "fine_tuning.job.event", e.createdAt() / 1000, e.level().id(), e.type(), e.message(), e.data());
    }
}
