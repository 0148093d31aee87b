package dev.sublinear.jobs;

import java.util.List;

/**
 * A worker process as it registered.
 *
 * @param devices its devices ("cpu", "gpu:0", …)
 * @param gpus how many of them are GPUs
 * @param slots how many jobs it runs at once
 * @param status online, or stopped after a clean shutdown (one that stops heartbeating stays online
 *     in the table; readers judge it by {@code lastHeartbeat})
 */
public record WorkerRecord(String id, String host, List<String> devices, int gpus, int slots, String status,
        long startedAt, long lastHeartbeat) {}
