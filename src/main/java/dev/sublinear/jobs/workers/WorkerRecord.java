package dev.sublinear.jobs.workers;

import java.util.List;

/**
 * A worker process as it registered.
 *
 * @param devices its devices ("cpu", "gpu:0", …)
 * @param gpus how many of them are GPUs
 * @param slots how many jobs it runs at once
 * @param status {@link WorkerStatus#ONLINE}, or {@link WorkerStatus#STOPPED} after a clean shutdown (one
 *     that stops heartbeating stays online in the table; readers judge it by {@code lastHeartbeat})
 * @param memoryBudgetBytes the memory one job may take on it (null: registered by a version that did
 *     not say; no job is refused for its sake)
 */
public record WorkerRecord(
        String id,
        String host,
        List<String> devices,
        int gpus,
        int slots,
        WorkerStatus status,
        long startedAt,
        long lastHeartbeat,
        Long memoryBudgetBytes) {}
