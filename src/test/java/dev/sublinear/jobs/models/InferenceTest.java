package dev.sublinear.jobs.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;

/** Admission, deadline and cancellation of inference calls, without a model: work that runs until told to stop. */
class InferenceTest {

    private final SimpleMeterRegistry meters = new SimpleMeterRegistry();
    private Inference inference;

    @AfterEach
    void close() {
        inference.close();
    }

    /** Work that takes a step every 5 ms until it is told to stop, as a generation between tokens. */
    private static final Inference.Work<String> UNTIL_STOPPED = stop -> {
        while (!stop.getAsBoolean()) {
            LockSupport.parkNanos(5_000_000);
        }
        throw new CancellationException("stopped");
    };

    @Test
    void aTenantPastItsShareAndTheProcessPastItsLimitAreRefusedAtOnceWithARetryAfter() {
        inference = new Inference(
                new InferenceProperties(3, 2, Duration.ofMinutes(5), DataSize.ofGigabytes(4), 8192), meters);
        Inference.Call<String> a1 = inference.start("a", 100, UNTIL_STOPPED);
        inference.start("a", 100, UNTIL_STOPPED);
        assertThatThrownBy(() -> inference.start("a", 100, UNTIL_STOPPED))
                .isInstanceOf(TooManyInferencesException.class)
                .hasMessageContaining("for this tenant")
                .satisfies(e -> assertThat(((TooManyInferencesException) e).retryAfterSeconds())
                        .isBetween(1L, 300L));
        inference.start("b", 100, UNTIL_STOPPED);
        assertThatThrownBy(() -> inference.start("c", 100, UNTIL_STOPPED))
                .isInstanceOf(TooManyInferencesException.class)
                .hasMessageContaining("the service");

        a1.cancel();
        // a future completed with a CancellationException throws it as is
        assertThatThrownBy(() -> a1.result().get(10, TimeUnit.SECONDS)).isInstanceOf(CancellationException.class);
        // the slot is free by the time the answer is out
        inference.start("c", 100, UNTIL_STOPPED);
        assertThat(meters.get("sublinear.inference.calls")
                        .tag("outcome", "refused")
                        .counter()
                        .count())
                .isEqualTo(2);
        assertThat(meters.get("sublinear.inference.calls")
                        .tag("outcome", "cancelled")
                        .counter()
                        .count())
                .isEqualTo(1);
    }

    @Test
    void aCallPastTheTimeoutStopsAndFailsAsATimeout() {
        inference = new Inference(
                new InferenceProperties(2, 2, Duration.ofMillis(300), DataSize.ofGigabytes(4), 8192), meters);
        long start = System.nanoTime();
        Inference.Call<String> call = inference.start("a", 1_000_000, UNTIL_STOPPED);
        assertThatThrownBy(() -> call.result().get(10, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(InferenceTimeoutException.class);
        assertThat((System.nanoTime() - start) / 1e9).isLessThan(5);
        assertThat(meters.get("sublinear.inference.calls")
                        .tag("outcome", "timeout")
                        .counter()
                        .count())
                .isEqualTo(1);
        assertThat(meters.get("sublinear.inference.active").gauge().value()).isZero();
    }

    @Test
    void closingStopsRunningCallsAndWaitsForThem() throws Exception {
        inference = new Inference(
                new InferenceProperties(2, 2, Duration.ofMinutes(5), DataSize.ofGigabytes(4), 8192), meters);
        CountDownLatch started = new CountDownLatch(1);
        Inference.Call<String> call = inference.start("a", 100, stop -> {
            started.countDown();
            return UNTIL_STOPPED.run(stop);
        });
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        inference.close();
        assertThat(call.result()).isCompletedExceptionally();
    }
}
