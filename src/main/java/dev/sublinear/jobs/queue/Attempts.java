package dev.sublinear.jobs.queue;

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

    private final Attempt.Stores stores;

    Attempts(Attempt.Stores stores) {
        this.stores = stores;
    }

    /**
     * Claims the best queued job this worker can run (see {@link JobQueue#claim}) and holds it by a
     * lease of {@code lease}.
     *
     * @param devicesFor the devices the worker gives a job needing that many GPUs
     */
    public Optional<Attempt> claim(
            String workerId, int maxGpus, long memoryBudgetBytes, IntFunction<String> devicesFor, Duration lease) {
        return stores.queue()
                .claim(
                        workerId,
                        maxGpus,
                        memoryBudgetBytes,
                        devicesFor,
                        stores.clock().millis(),
                        lease)
                .map(job -> new Attempt(job, workerId, stores));
    }
}
