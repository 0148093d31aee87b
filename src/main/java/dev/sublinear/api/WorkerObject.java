package dev.sublinear.api;

import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/**
 * A registered worker.
 *
 * @param status online, stopped (clean shutdown) or lost (no heartbeat for a lease's time)
 */
@Schema(
        description = "A registered worker: `online`, `stopped` (clean shutdown) or `lost` (silent too long).",
        example = "{\"id\": \"node-1-x7\", \"object\": \"worker\", \"host\": \"node-1\", "
                + "\"devices\": [{\"name\": \"gpu:0\", \"total\": 1, \"used\": "
                + "1}], \"running_jobs\": [\"ftjob-abc123\"], \"last_heartbeat\": "
                + "1795586222, \"started_at\": 1795586204, \"status\": \"online\"}")
public record WorkerObject(
        String id,
        String object,
        String host,
        List<Device> devices,
        List<String> runningJobs,
        long lastHeartbeat,
        long startedAt,
        String status) {

    /** A device with its capacity (jobs at once) and how much of it is in use. */
    @Schema(
            description = "A device: how many jobs it runs at once and how many it runs now.",
            example = "{\"name\": \"gpu:0\", \"total\": 1, \"used\": 1}")
    public record Device(String name, int total, int used) {}
}
