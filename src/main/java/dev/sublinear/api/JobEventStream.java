package dev.sublinear.api;

import dev.sublinear.jobs.EventStore;
import dev.sublinear.jobs.JobEvent;
import dev.sublinear.jobs.JobRecord;
import dev.sublinear.jobs.JobService;
import jakarta.annotation.PreDestroy;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.servlet.mvc.method.annotation.SseEmitter;

/**
 * A job's events as Server-Sent Events: everything after {@code Last-Event-ID} (or from the start),
 * then new ones as they are stored, and a final {@code end} event once the job has ended. The store
 * is polled, so that events written by any worker process reach any API replica.
 */
@Component
class JobEventStream {

    static final Duration POLL = Duration.ofMillis(250);
    /** A stream open this long is closed; EventSource clients reconnect with Last-Event-ID. */
    static final Duration MAX_OPEN = Duration.ofMinutes(30);

    private static final int BATCH = 200;

    private final EventStore events;
    private final JobService jobs;
    private final ScheduledExecutorService poller =
            Executors.newScheduledThreadPool(2, r -> new Thread(r, "sse-poller"));

    JobEventStream(EventStore events, JobService jobs) {
        this.events = events;
        this.jobs = jobs;
    }

    SseEmitter open(String tenantId, String jobId, String lastEventId) {
        jobs.get(tenantId, jobId);
        SseEmitter emitter = new SseEmitter(MAX_OPEN.toMillis());
        AtomicLong seq = new AtomicLong(lastEventId == null ? 0 : events.seqOf(jobId, lastEventId));
        AtomicReference<ScheduledFuture<?>> task = new AtomicReference<>();
        Runnable stop = () -> {
            ScheduledFuture<?> t = task.get();
            if (t != null) {
                t.cancel(false);
            }
        };
        emitter.onCompletion(stop);
        emitter.onTimeout(() -> {
            stop.run();
            emitter.complete();
        });
        emitter.onError(e -> stop.run());
        task.set(poller.scheduleWithFixedDelay(
                () -> poll(tenantId, jobId, seq, emitter, stop), 0, POLL.toMillis(), TimeUnit.MILLISECONDS));
        return emitter;
    }

    private void poll(String tenantId, String jobId, AtomicLong seq, SseEmitter emitter, Runnable stop) {
        try {
            // read the status first: an event stored after this read is still sent before the end
            JobRecord job = jobs.get(tenantId, jobId);
            List<JobEvent> batch = events.after(jobId, seq.get(), BATCH);
            for (JobEvent e : batch) {
                emitter.send(SseEmitter.event()
                        .id(e.id())
                        .name("fine_tuning.job.event")
                        .data(EventObject.of(e), MediaType.APPLICATION_JSON));
                seq.set(e.seq());
            }
            if (job.status().terminal() && batch.size() < BATCH) {
                emitter.send(SseEmitter.event()
                        .name("end")
                        .data(Map.of("id", jobId, "status", job.status().id()), MediaType.APPLICATION_JSON));
                stop.run();
                emitter.complete();
            }
        } catch (IOException | IllegalStateException e) {
            // the client went away
            stop.run();
        } catch (RuntimeException e) {
            stop.run();
            emitter.completeWithError(e);
        }
    }

    @PreDestroy
    void close() {
        poller.shutdownNow();
    }
}
