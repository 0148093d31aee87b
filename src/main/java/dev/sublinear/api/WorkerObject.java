package dev.sublinear.api;

import java.util.List;

/**
 * A registered worker.
 *
 * @param status online, stopped (clean shutdown) or lost (no heartbeat for a lease's time)
 */
public record WorkerObject(String id, String object, String host, List<Device> devices, List<String> runningJobs,
        long lastHeartbeat, long startedAt, String status) {

    /** A device with its capacity (jobs at once) and how much of it is in use. */
    public record Device(String name, int total, int used) {}
}
