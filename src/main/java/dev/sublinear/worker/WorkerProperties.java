package dev.sublinear.worker;

import dev.sublinear.training.run.MemoryBudget;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.util.unit.DataSize;
import org.springframework.validation.annotation.Validated;

/**
 * A worker's settings, under {@code sublinear.worker.*}.
 *
 * @param id the worker's id (default: host name and a random part, new at every start)
 * @param devices the devices to use, e.g. {@code [cpu]} or {@code [gpu:0, gpu:1]} (default: every GPU, else the CPU)
 * @param cpuSlots jobs run at once on the CPU (a CPU-only worker)
 * @param heartbeatInterval how often the worker renews its leases and reports progress
 * @param unwritableStoreBackoff while the artifact store cannot be written the worker claims nothing
 *     (a job would fail at its first checkpoint) and looks again after a wait that doubles from
 *     {@code poll-interval} up to this
 * @param leaseDuration how long a job stays claimed without a heartbeat before another worker may take it
 * @param pollInterval how often an idle worker looks for queued jobs
 * @param shutdownGrace how long a stopping worker waits for its jobs to checkpoint and go back to the queue
 * @param memoryBudget the memory one job may take on this worker, e.g. {@code 8GB}. The worker registers
 *     it: a job whose estimated memory (parameters, gradients, optimizer state, activations of a
 *     micro-batch, examples) passes every live worker's budget is refused at creation, a worker claims
 *     only jobs whose estimate fits its own, and a running job whose measured memory passes it fails
 *     as the user's error ({@code out_of_memory}). Default: three quarters of the memory the machine
 *     (or container) has beyond the JVM's largest heap, divided among the jobs the worker runs at once
 *     (its CPU slots, or its GPUs)
 */
@Validated
@ConfigurationProperties("sublinear.worker")
public record WorkerProperties(
        @Pattern(regexp = "[A-Za-z0-9._-]{1,100}") String id,
        List<@Pattern(regexp = "cpu|gpu:[0-9]{1,2}", message = "must be cpu or gpu:<index>") String> devices,
        @Min(1) @Max(64) @DefaultValue("1") int cpuSlots,
        @NotNull @DefaultValue("2s") Duration heartbeatInterval,
        @NotNull @DefaultValue("30s") Duration unwritableStoreBackoff,
        @NotNull @DefaultValue("30s") Duration leaseDuration,
        @NotNull @DefaultValue("500ms") Duration pollInterval,
        @NotNull @DefaultValue("30s") Duration shutdownGrace,
        DataSize memoryBudget) {

    /** The smallest budget accepted: a smaller one is most likely a unit left out (lm-tiny's parameters alone are 4
     * MB). */
    static final DataSize MIN_MEMORY_BUDGET = DataSize.ofMegabytes(1);

    public WorkerProperties {
        if (heartbeatInterval != null
                && leaseDuration != null
                && leaseDuration.compareTo(heartbeatInterval.multipliedBy(2)) < 0) {
            throw new IllegalArgumentException("sublinear.worker.lease-duration (" + leaseDuration
                    + ") must be at least twice sublinear.worker.heartbeat-interval (" + heartbeatInterval + ")");
        }
        if (memoryBudget != null && memoryBudget.compareTo(MIN_MEMORY_BUDGET) < 0) {
            throw new IllegalArgumentException("sublinear.worker.memory-budget ("
                    + MemoryBudget.describe(memoryBudget.toBytes()) + ") must be at least "
                    + MemoryBudget.describe(MIN_MEMORY_BUDGET.toBytes()));
        }
    }

    /**
     * The memory budget per job in bytes: the configured one, else the default (see above).
     *
     * @param machineBytes the memory of the machine or container
     * @param maxHeapBytes the JVM's largest heap
     * @param slots jobs the worker runs at once
     */
    long memoryBudgetBytes(long machineBytes, long maxHeapBytes, int slots) {
        if (memoryBudget != null) {
            return memoryBudget.toBytes();
        }
        long beyondHeap = Math.max(machineBytes - maxHeapBytes, 0);
        return Math.max(beyondHeap / 4 * 3 / Math.max(slots, 1), MIN_MEMORY_BUDGET.toBytes());
    }
}
