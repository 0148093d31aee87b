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

    public void heartbeat(String workerId, long now) {
        store.heartbeat(workerId, now);
    }

    public void stopped(String workerId, long now) {
        store.stopped(workerId, now);
    }

    public List<WorkerRecord> list() {
        return store.list();
    }

    /** Workers whose last heartbeat is at or after {@code since} (epoch millis). */
    public List<WorkerRecord> seenSince(long since) {
        return store.seenSince(since);
    }
}
