package dev.sublinear.worker;

import ai.djl.Device;
import com.sun.management.OperatingSystemMXBean;
import dev.sublinear.jobs.JobRecord;
import dev.sublinear.jobs.common.Ids;
import dev.sublinear.jobs.queue.Attempt;
import dev.sublinear.jobs.queue.Attempts;
import dev.sublinear.jobs.workers.WorkerRecord;
import dev.sublinear.jobs.workers.WorkerRegistry;
import dev.sublinear.jobs.workers.WorkerStatus;
import dev.sublinear.training.run.MemoryBudget;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.ToDoubleFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;

/**
 * A worker process's loop: register, heartbeat, claim what fits the free devices, run it. Started
 * and stopped with the application; on a clean stop its running jobs checkpoint and go back to the
 * queue, so that another worker continues them.
 */
public class Worker implements SmartLifecycle {

    private static final Logger LOG = LoggerFactory.getLogger(Worker.class);

    private final JobRunner runner;
    private final Attempts attempts;
    private final WorkerRegistry workers;
    private final WorkerProperties properties;
    private final Clock clock;
    private final MeterRegistry meters;
    private final DeviceInventory devices;
    private final String id;
    /** The memory one job may take here (see {@link WorkerProperties#memoryBudget()}). */
    private final long memoryBudgetBytes;

    private final Map<String, JobExecution> running = new ConcurrentHashMap<>();
    private final Object wakeUp = new Object();
    private volatile boolean active;
    private volatile long startedAt;
    private boolean storeWasWritable = true;
    private ScheduledExecutorService heartbeats;
    private ExecutorService trainers;
    private Thread claimLoop;

    Worker(
            JobRunner runner,
            Attempts attempts,
            WorkerRegistry workers,
            WorkerProperties properties,
            Clock clock,
            MeterRegistry meters) {
        this.runner = runner;
        this.attempts = attempts;
        this.workers = workers;
        this.properties = properties;
        this.clock = clock;
        this.meters = meters;
        this.devices = new DeviceInventory(properties.devices(), properties.cpuSlots());
        this.id = properties.id() != null
                ? properties.id()
                : host() + "-" + Ids.next("w").substring(2, 10);
        this.memoryBudgetBytes = properties.memoryBudgetBytes(
                machineMemory(), Runtime.getRuntime().maxMemory(), devices.slots());
    }

    /** The machine's memory, or its container's limit (the JVM reads the cgroup), in bytes. */
    private static long machineMemory() {
        return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getTotalMemorySize();
    }

    public String id() {
        return id;
    }

    @Override
    public void start() {
        long now = clock.millis();
        startedAt = now;
        register(now);
        registerMeters();
        active = true;
        heartbeats = Executors.newSingleThreadScheduledExecutor(r -> new Thread(r, "worker-heartbeat"));
        long period = properties.heartbeatInterval().toMillis();
        heartbeats.scheduleWithFixedDelay(this::heartbeat, period, period, TimeUnit.MILLISECONDS);
        trainers = Executors.newCachedThreadPool(r -> new Thread(r, "worker-training"));
        claimLoop = new Thread(this::claimLoop, "worker-claims");
        claimLoop.start();
        LOG.info(
                "Worker {} started with devices {} ({} job(s) at once, memory budget {} a job)",
                id,
                devices.names(),
                devices.slots(),
                MemoryBudget.describe(memoryBudgetBytes));
    }

    private void claimLoop() {
        long poll = properties.pollInterval().toMillis();
        long wait = poll;
        while (active) {
            boolean claimed = false;
            try {
                if (storeWritable()) {
                    wait = poll;
                    claimed = claimOne();
                } else {
                    // a job claimed now would fail at its first checkpoint: leave it queued, look again later
                    wait = Math.min(
                            wait * 2,
                            Math.max(poll, properties.unwritableStoreBackoff().toMillis()));
                }
            } catch (RuntimeException e) {
                LOG.warn("Claiming failed; retrying in {}", properties.pollInterval(), e);
            }
            if (!claimed) {
                synchronized (wakeUp) {
                    try {
                        wakeUp.wait(wait);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            }
        }
    }

    /** The condition readiness reports too (ArtifactStoreHealthIndicator); logged when it changes. */
    private boolean storeWritable() {
        boolean writable = runner.artifacts.writable();
        if (writable != storeWasWritable) {
            storeWasWritable = writable;
            if (writable) {
                LOG.info("Worker {}: the artifact store can be written again; claiming jobs", id);
            } else {
                LOG.warn("Worker {}: the artifact store cannot be written; claiming no jobs until it can", id);
            }
        }
        return writable;
    }

    private boolean claimOne() {
        int maxGpus = devices.maxClaimableGpus();
        if (maxGpus < 0) {
            return false;
        }
        AtomicReference<List<Device>> taken = new AtomicReference<>();
        Optional<Attempt> claimed = attempts.claim(
                id,
                maxGpus,
                memoryBudgetBytes,
                gpus -> {
                    taken.set(devices.allocate(gpus));
                    return String.join(
                            ",", taken.get().stream().map(DeviceInventory::name).toList());
                },
                properties.leaseDuration());
        if (claimed.isEmpty()) {
            if (taken.get() != null) {
                devices.release(taken.get());
            }
            return false;
        }
        JobRecord job = claimed.get().job();
        JobExecution execution =
                new JobExecution(runner, claimed.get(), taken.get(), properties.leaseDuration(), memoryBudgetBytes);
        running.put(job.id(), execution);
        trainers.execute(() -> {
            Timer.Sample sample = Timer.start(meters);
            try {
                execution.run();
            } finally {
                sample.stop(meters.timer("sublinear.worker.attempt.duration"));
                // not a later claim of the same job (given back, then claimed again at once)
                running.remove(job.id(), execution);
                devices.release(execution.devices);
                synchronized (wakeUp) {
                    wakeUp.notifyAll();
                }
            }
        });
        return true;
    }

    private void register(long now) {
        workers.register(new WorkerRecord(
                id,
                host(),
                devices.names(),
                devices.gpuCount(),
                devices.slots(),
                WorkerStatus.ONLINE,
                startedAt,
                now,
                memoryBudgetBytes));
    }

    private void heartbeat() {
        try {
            long now = clock.millis();
            if (!workers.heartbeat(id, now)) {
                // silent for longer than remove-gone-workers-after (a long partition, a suspended
                // machine): its row was removed as gone, and it is back
                LOG.info("Worker {} was removed from the workers list while silent; registering again", id);
                register(now);
            }
            for (JobExecution execution : running.values()) {
                execution.heartbeat();
            }
        } catch (RuntimeException e) {
            // the store may be briefly unreachable; the lease is long enough to ride it out
            LOG.warn("Heartbeat failed", e);
        }
    }

    @Override
    public void stop() {
        active = false;
        synchronized (wakeUp) {
            wakeUp.notifyAll();
        }
        running.values().forEach(JobExecution::requeue);
        trainers.shutdown();
        try {
            if (!trainers.awaitTermination(properties.shutdownGrace().toMillis(), TimeUnit.MILLISECONDS)) {
                LOG.warn(
                        "Jobs {} did not stop within {}; their leases will expire",
                        running.keySet(),
                        properties.shutdownGrace());
            }
            claimLoop.join(properties.pollInterval().toMillis() * 4);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        heartbeats.shutdownNow();
        try {
            workers.stopped(id, clock.millis());
        } catch (RuntimeException e) {
            LOG.warn("Could not mark worker {} stopped", id, e);
        }
        LOG.info("Worker {} stopped", id);
    }

    @Override
    public boolean isRunning() {
        return active;
    }

    /** Stop before the web server and the data source go (they stop in later phases). */
    @Override
    public int getPhase() {
        return Integer.MAX_VALUE - 1000;
    }

    /** Whether the worker is claiming and its heartbeat is recent. */
    public boolean healthy() {
        return active && claimLoop.isAlive();
    }

    public List<String> runningJobs() {
        return List.copyOf(running.keySet());
    }

    private void registerMeters() {
        gauge("sublinear.worker.jobs.running", e -> 1);
        gauge(
                "sublinear.worker.optimizer.state.bytes",
                e -> e.latest() == null ? 0 : e.latest().optimizerMemory().stateBytes());
        gauge(
                "sublinear.worker.optimizer.adam.equivalent.bytes",
                e -> e.latest() == null ? 0 : e.latest().optimizerMemory().adamEquivalentBytes());
        gauge("sublinear.worker.steps.per.second", JobExecution::stepsPerSecond);
        Gauge.builder("sublinear.worker.device.utilisation", devices, DeviceInventory::utilisation)
                .description("fraction of this worker's devices running a job")
                .register(meters);
    }

    private void gauge(String name, ToDoubleFunction<JobExecution> perJob) {
        Gauge.builder(
                        name,
                        running,
                        r -> r.values().stream().mapToDouble(perJob).sum())
                .register(meters);
    }

    private static String host() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "unknown-host";
        }
    }
}
