package dev.sublinear.api;

import io.micrometer.core.instrument.MeterRegistry;
import java.time.Duration;
import java.util.function.BooleanSupplier;

/** The inference meters a test reads to see generations start, step and stop (one service, in-process). */
final class InferenceMeters {

    private InferenceMeters() {}

    static double active(MeterRegistry meters) {
        return meters.get("sublinear.inference.active").gauge().value();
    }

    static double steps(MeterRegistry meters) {
        return meters.get("sublinear.inference.steps").counter().count();
    }

    static double calls(MeterRegistry meters, String outcome) {
        var counter =
                meters.find("sublinear.inference.calls").tag("outcome", outcome).counter();
        return counter == null ? 0 : counter.count();
    }

    /** Polls until {@code condition} holds, failing after {@code timeout}. */
    static void awaitTrue(BooleanSupplier condition, Duration timeout, String what) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within " + timeout + ": " + what);
            }
            Thread.sleep(50);
        }
    }
}
