package dev.sublinear.api;

import dev.sublinear.jobs.JobEvent;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.LinkedHashMap;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.json.JsonMapper;

/**
 * A job event ({@code object: "fine_tuning.job.event"}) in OpenAI's two types: {@code metrics} for a
 * step's figures, {@code message} for everything else. The official SDKs refuse any other type, so
 * our own kind of event (status, checkpoint, data_warning, …) travels in {@code data.kind}.
 */
@Schema(
        description = "Something that happened to a job. `level` is info, warn or error. `type` is `metrics` for a"
                + " step's figures (`data` is them: step, train_loss, …) or `message` for everything else (`data`"
                + " holds `kind`, what happened: status, checkpoint, data_warning, warning, …, and the event's"
                + " figures if any).",
        example = "{\"id\": \"ftevent-abc123\", \"object\": \"fine_tuning.job.event\", "
                + "\"created_at\": 1795586218, \"level\": \"info\", \"type\": "
                + "\"message\", \"message\": \"Checkpoint step-00000100 "
                + "written at step 100 (3770414 bytes)\", \"data\": {\"kind\": \"checkpoint\"}}")
public record EventObject(
        String id,
        String object,
        long createdAt,
        @Schema(allowableValues = {"info", "warn", "error"}) String level,
        @Schema(allowableValues = {"message", "metrics"}) String type,
        String message,

        @Schema(
                types = {"object"},
                description = "For `message` events `kind` and the event's figures; for `metrics` events the"
                        + " step's figures.",
                example = "{\"kind\": \"status\"}")
        Map<String, Object> data) {

    /** The stored type of step metrics; every other stored type is a message. */
    static final String METRICS = "metrics";

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final TypeReference<LinkedHashMap<String, Object>> OBJECT = new TypeReference<>() {};

    static EventObject of(JobEvent e) {
        boolean metrics = METRICS.equals(e.type());
        Map<String, Object> data = new LinkedHashMap<>();
        if (!metrics) {
            data.put("kind", e.type());
        }
        Map<String, Object> stored = stored(e.data());
        // the kind is ours to say: a stored member of that name does not replace it
        stored.forEach(data::putIfAbsent);
        return new EventObject(
                e.id(),
                "fine_tuning.job.event",
                e.createdAt() / 1000,
                e.level().id(),
                metrics ? METRICS : "message",
                e.message(),
                data);
    }

    /**
     * The stored data's members: stored by the service itself as a JSON object, so anything else (none,
     * a value that is not an object) is kept whole under {@code value} rather than failing a read.
     */
    private static Map<String, Object> stored(String data) {
        if (data == null || data.isBlank()) {
            return Map.of();
        }
        try {
            Map<String, Object> members = JSON.readValue(data, OBJECT);
            return members == null ? Map.of() : members;
        } catch (JacksonException notAnObject) {
            Map<String, Object> kept = new LinkedHashMap<>();
            kept.put("value", data);
            return kept;
        }
    }
}
