package dev.sublinear.jobs.models;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import jakarta.annotation.PreDestroy;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Runs inference off the web server's threads, within {@link InferenceProperties}' limits: admitted
 * at once or refused at once ({@link TooManyInferencesException}), never queued, so a tenant firing
 * many long generations holds no request thread and at most its share of the inference threads.
 * Each call can be stopped between tokens: when its client goes away ({@link Call#cancel}) or its
 * deadline passes.
 */
@Component
public class Inference {

    /** The work of one call; {@code stop} says, between tokens, that nobody waits for the answer any more. */
    public interface Work<T> {
        T run(BooleanSupplier stop) throws IOException;
    }

    private static final Logger LOG = LoggerFactory.getLogger(Inference.class);
    private static final long CLOSE_WAIT_SECONDS = 30;

    private final InferenceProperties properties;
    /** As many threads as calls may run: an admitted call never waits for a thread. */
    private final ExecutorService threads;

    private final List<Call<?>> running = new ArrayList<>();
    private final Counter steps;
    private final MeterRegistry meters;

    public Inference(InferenceProperties properties, MeterRegistry meters) {
        this.properties = properties;
        this.meters = meters;
        AtomicInteger n = new AtomicInteger();
        this.threads = Executors.newFixedThreadPool(properties.maxConcurrent(), r -> {
            Thread t = new Thread(r, "inference-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.steps = Counter.builder("sublinear.inference.steps")
                .description("forward passes of API inference (one per generated token)")
                .register(meters);
        Gauge.builder("sublinear.inference.active", this, Inference::active)
                .description("inference calls running now in this API process")
                .register(meters);
    }

    /**
     * Admits a call of up to {@code maxSteps} forward passes for {@code tenantId} and starts it.
     *
     * @throws TooManyInferencesException when the tenant or the process is at its limit
     */
    public <T> Call<T> start(String tenantId, int maxSteps, Work<T> work) {
        Call<T> call = new Call<>(
                tenantId, maxSteps, System.nanoTime() + properties.timeout().toNanos());
        admit(call);
        try {
            threads.execute(() -> run(call, work));
        } catch (RuntimeException e) { // the executor is shutting down
            release(call);
            throw e;
        }
        return call;
    }

    private synchronized void admit(Call<?> call) {
        long mine =
                running.stream().filter(c -> c.tenantId.equals(call.tenantId)).count();
        if (mine >= properties.maxConcurrentPerTenant()) {
            outcome("refused");
            throw new TooManyInferencesException(
                    "more than " + properties.maxConcurrentPerTenant()
                            + " generations or predictions at once for this tenant",
                    retryAfterSeconds(call.tenantId));
        }
        if (running.size() >= properties.maxConcurrent()) {
            outcome("refused");
            throw new TooManyInferencesException(
                    "the service is running as many generations and predictions as it" + " allows ("
                            + properties.maxConcurrent() + ")",
                    retryAfterSeconds(null));
        }
        running.add(call);
    }

    private synchronized void release(Call<?> call) {
        running.remove(call);
    }

    private synchronized int active() {
        return running.size();
    }

    /**
     * When a slot is likely free: the soonest expected end among the calls in the way (the tenant's
     * own, or all), from each one's pace so far; at least 1 s, at most the timeout.
     */
    private long retryAfterSeconds(String tenantId) {
        long now = System.nanoTime();
        double soonest = properties.timeout().toSeconds();
        for (Call<?> c : running) {
            if (tenantId == null || c.tenantId.equals(tenantId)) {
                soonest = Math.min(soonest, Math.min(c.expectedRemainingSeconds(now), (c.deadline - now) / 1e9));
            }
        }
        return Math.max(1, (long) Math.ceil(soonest));
    }

    private <T> void run(Call<T> call, Work<T> work) {
        BooleanSupplier stop = () -> {
            if (call.cancelled || System.nanoTime() > call.deadline) {
                return true;
            }
            call.steps.incrementAndGet();
            steps.increment();
            return false;
        };
        T result = null;
        Throwable failure = null;
        String outcome = "completed";
        try {
            result = work.run(stop);
        } catch (CancellationException e) {
            outcome = call.cancelled ? "cancelled" : "timeout";
            failure = call.cancelled ? e : new InferenceTimeoutException(properties.timeout());
        } catch (Exception | Error e) {
            outcome = "failed";
            failure = e;
        }
        // the slot is free before the client hears back, so that its next call is admitted
        release(call);
        outcome(outcome);
        if (failure == null) {
            call.result.complete(result);
        } else {
            call.result.completeExceptionally(failure);
        }
    }

    private void outcome(String outcome) {
        meters.counter("sublinear.inference.calls", "outcome", outcome).increment();
    }

    /**
     * Stops every call before its next token and waits for them to end (a forward pass is short):
     * afterwards no model is in use.
     */
    @PreDestroy
    public void close() {
        synchronized (this) {
            running.forEach(Call::cancel);
        }
        threads.shutdown();
        try {
            if (!threads.awaitTermination(CLOSE_WAIT_SECONDS, TimeUnit.SECONDS)) {
                LOG.warn("Inference calls still running after {} s at shutdown", CLOSE_WAIT_SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** An admitted call: its result, and a way to stop it when its client has gone. */
    public static final class Call<T> {

        private final String tenantId;
        private final int maxSteps;
        private final long started = System.nanoTime();
        private final long deadline;
        private final AtomicInteger steps = new AtomicInteger();
        private final CompletableFuture<T> result = new CompletableFuture<>();
        private volatile boolean cancelled;

        private Call(String tenantId, int maxSteps, long deadline) {
            this.tenantId = tenantId;
            this.maxSteps = maxSteps;
            this.deadline = deadline;
        }

        /** Completes with the answer, {@link InferenceTimeoutException} past the deadline, or the failure. */
        public CompletableFuture<T> result() {
            return result;
        }

        /** Stops the work before its next token; nothing after this is waited for. */
        public void cancel() {
            cancelled = true;
        }

        private double expectedRemainingSeconds(long now) {
            int done = steps.get();
            double elapsed = (now - started) / 1e9;
            return done == 0 ? elapsed : elapsed / done * Math.max(0, maxSteps - done);
        }
    }
}
