package dev.sublinear.worker;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Pattern;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
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
        @NotNull @DefaultValue("30s") Duration shutdownGrace) {

    public WorkerProperties {
        if (heartbeatInterval != null && leaseDuration != null
                && leaseDuration.compareTo(heartbeatInterval.multipliedBy(2)) < 0) {
            throw new IllegalArgumentException("sublinear.worker.lease-duration (" + leaseDuration
                    + ") must be at least twice sublinear.worker.heartbeat-interval (" + heartbeatInterval + ")");
        }
    }
}
