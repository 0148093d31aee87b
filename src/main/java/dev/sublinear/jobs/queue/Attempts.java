package dev.sublinear.jobs.queue;

import dev.sublinear.jobs.BaseModels;
import dev.sublinear.jobs.EventStore;
import dev.sublinear.jobs.JobCheckpoints;
import dev.sublinear.jobs.MetricStore;
import dev.sublinear.jobs.files.FileService;
import dev.sublinear.jobs.models.ModelService;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.function.IntFunction;
import org.springframework.stereotype.Service;

/**
 * Where a worker gets its work: a claim hands out one {@link Attempt}, which is all the worker
 * sees of the job service from then on.
 */
@Service
public class Attempts {

    private final JobQueue queue;
    private final Attempt.Stores stores;

    Attempts(
            JobQueue queue,
            EventStore events,
            MetricStore metrics,
            JobCheckpoints checkpoints,
            FileService files,
            ModelService models,
            BaseModels baseModels,
            Clock clock) {
        this.queue = queue;
        this.stores = new Attempt.Stores(queue, events, metrics, checkpoints, files, models, baseModels, clock);
    }

    /**
     * Claims the best queued job this worker can run (see {@link JobQueue#claim}) and holds it by a
     * lease of {@code lease}.
     *
     * @param devicesFor the devices the worker gives a job needing that many GPUs
     */
    public Optional<Attempt> claim(
            String workerId, int maxGpus, long memoryBudgetBytes, IntFunction<String> devicesFor, Duration lease) {
        return queue.claim(
                        workerId,
                        maxGpus,
                        memoryBudgetBytes,
                        devicesFor,
                        stores.clock().millis(),
                        lease)
                .map(job -> new Attempt(job, workerId, stores));
    }
}
