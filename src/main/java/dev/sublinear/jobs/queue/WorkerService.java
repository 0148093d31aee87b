package dev.sublinear.jobs.queue;

import dev.sublinear.jobs.JobRecord;
import dev.sublinear.jobs.common.JobsProperties;
import dev.sublinear.jobs.workers.WorkerRecord;
import dev.sublinear.jobs.workers.WorkerRegistry;
import dev.sublinear.jobs.workers.WorkerStatus;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.springframework.stereotype.Service;

/** Registered workers with what they run now, from the store (so every API replica sees every worker). */
@Service
public class WorkerService {

    private final WorkerRegistry workers;
    private final JobQueue queue;
    private final JobsProperties properties;
    private final Clock clock;

    public WorkerService(WorkerRegistry workers, JobQueue queue, JobsProperties properties, Clock clock) {
        this.workers = workers;
        this.queue = queue;
        this.properties = properties;
        this.clock = clock;
    }

    /** A device's use: a GPU runs one job, the CPU of a CPU-only worker {@code slots}. */
    public record DeviceUse(String name, int total, int used) {}

    /** A worker with its state: online, stopped, or lost (silent for longer than the timeout). */
    public record WorkerState(
            WorkerRecord worker, WorkerStatus status, List<DeviceUse> devices, List<String> runningJobs) {}

    /** Workers, with the running jobs of {@code tenantId} (other tenants' jobs only count as used devices). */
    public List<WorkerState> list(String tenantId) {
        long now = clock.millis();
        List<WorkerState> out = new ArrayList<>();
        for (WorkerRecord w : workers.list()) {
            List<JobRecord> held = queue.heldBy(w.id());
            List<DeviceUse> devices = new ArrayList<>();
            for (String device : w.devices()) {
                int used = (int) held.stream()
                        .map(j -> j.claim().devices())
                        .filter(d -> d != null && List.of(d.split(",")).contains(device))
                        .count();
                devices.add(new DeviceUse(device, device.equals("cpu") ? w.slots() : 1, used));
            }
            WorkerStatus status = w.status() == WorkerStatus.STOPPED
                    ? WorkerStatus.STOPPED
                    : now - w.lastHeartbeat() > properties.workerTimeout().toMillis()
                            ? WorkerStatus.LOST
                            : WorkerStatus.ONLINE;
            out.add(new WorkerState(
                    w,
                    status,
                    devices,
                    held.stream()
                            .filter(j -> j.tenantId().equals(tenantId))
                            .map(JobRecord::id)
                            .toList()));
        }
        return out;
    }
}
