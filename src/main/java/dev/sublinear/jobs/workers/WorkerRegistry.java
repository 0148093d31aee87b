package dev.sublinear.jobs.workers;

import java.util.List;
import org.springframework.stereotype.Service;

/** Workers register, beat and stop here; the job service asks which were seen lately. */
@Service
public class WorkerRegistry {

    private final WorkerStore store;

    WorkerRegistry(WorkerStore store) {
        this.store = store;
    }

    /** Records a worker as online, replacing an earlier registration under the same id. */
    public void register(WorkerRecord worker) {
        store.register(worker);
    }

    /** Records a heartbeat; false when the worker has no row (it was removed as gone: register it again). */
    public boolean heartbeat(String workerId, long now) {
        return store.heartbeat(workerId, now);
    }

    public void stopped(String workerId, long now) {
        store.stopped(workerId, now);
    }

    public List<WorkerRecord> list() {
        return store.list();
    }

    /**
     * Deletes the workers whose last heartbeat (or clean stop) was before {@code before} (epoch millis)
     * and returns them as they were; a row another process removed first, or whose worker beat again
     * meanwhile, is left out.
     */
    public List<WorkerRecord> removeSilentSince(long before) {
        return store.silentSince(before).stream().filter(store::remove).toList();
    }

    /** Workers whose last heartbeat is at or after {@code since} (epoch millis). */
    public List<WorkerRecord> seenSince(long since) {
        return store.seenSince(since);
    }
}
