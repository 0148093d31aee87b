package dev.sublinear.worker;

import dev.sublinear.training.run.EvaluationReport;
import dev.sublinear.training.run.StepReport;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Locale;
import java.util.function.BiConsumer;

/**
 * The job's {@code metrics} events, as OpenAI's jobs emit them: one at every evaluation after the
 * first step (with its validation figures), and one every {@link #logInterval} steps and at the
 * last step when no evaluation falls there. One per step would flood the events table on a long
 * job (a 100,000-step job would write 100,000 rows); about twenty plus the evaluations keeps a
 * curve's shape for a reader of events, while {@code /metrics} keeps every step. Made on the
 * training thread, written by the heartbeat's flush (a step never waits for the database); an
 * event a failed write could not store stays for the next flush.
 */
final class MetricEvents {

    /** The message and the {@code data} text of one event. */
    record Event(String message, String data) {}

    private final Deque<Event> pending = new ArrayDeque<>();
    /** A log-interval step's report, held until it is known whether an evaluation follows it. */
    private StepReport held;

    private StepReport latest;
    /** Held through a whole flush, so that the heartbeat's and the attempt's last never write one event twice. */
    private final Object flushing = new Object();

    /** Steps between two {@code metrics} events that no evaluation asked for: a twentieth of the run. */
    static int logInterval(int totalSteps) {
        return Math.max(1, totalSteps / 20);
    }

    synchronized void step(StepReport r) {
        releaseHeld();
        latest = r;
        int step = r.progress().step();
        int total = r.progress().totalSteps();
        if (step % logInterval(total) == 0 || step >= total) {
            held = r;
        }
    }

    /** An evaluation at a step that was trained (the one before the first step has no training figures). */
    synchronized void evaluation(EvaluationReport e) {
        StepReport r = latest;
        if (r == null || r.progress().step() != e.step()) {
            return;
        }
        held = null;
        pending.add(event(r, e));
    }

    /** The run ended: a held step has no evaluation coming. */
    synchronized void runEnded() {
        releaseHeld();
    }

    private void releaseHeld() {
        if (held != null) {
            pending.add(event(held, null));
            held = null;
        }
    }

    /** Writes the events made so far, oldest first; what a failed write leaves stays, and it rethrows. */
    void flushTo(BiConsumer<String, String> write) {
        synchronized (flushing) {
            flushOnce(write);
        }
    }

    private void flushOnce(BiConsumer<String, String> write) {
        while (true) {
            Event next;
            synchronized (this) {
                next = pending.peekFirst();
            }
            if (next == null) {
                return;
            }
            write.accept(next.message(), next.data());
            synchronized (this) {
                pending.pollFirst();
            }
        }
    }

    static Event event(StepReport r, EvaluationReport e) {
        int step = r.progress().step();
        int total = r.progress().totalSteps();
        String trainLoss = number(r.trainLoss());
        String trainAccuracy = number(r.trainAccuracy());
        String validLoss = e == null ? "null" : number(e.validLoss());
        String validAccuracy = e == null ? "null" : number(e.accuracy());
        StringBuilder message = new StringBuilder()
                .append("Step ")
                .append(step)
                .append('/')
                .append(total)
                .append(": training loss=")
                .append(rounded(r.trainLoss()));
        if (Float.isFinite(r.trainAccuracy())) {
            message.append(", token accuracy=").append(rounded(r.trainAccuracy()));
        }
        if (e != null && Float.isFinite(e.validLoss())) {
            message.append(", validation loss=").append(rounded(e.validLoss()));
        }
        if (e != null && Float.isFinite(e.accuracy())) {
            message.append(", validation token accuracy=").append(rounded(e.accuracy()));
        }
        String data = "{\"step\":" + step
                + ",\"train_loss\":" + trainLoss
                + ",\"train_mean_token_accuracy\":" + trainAccuracy
                + ",\"valid_loss\":" + validLoss
                + ",\"valid_mean_token_accuracy\":" + validAccuracy
                + ",\"total_steps\":" + total + "}";
        return new Event(message.toString(), data);
    }

    /** A JSON number, the float's shortest decimal (2.24, not 2.240000009536743), or null. */
    private static String number(float v) {
        return Float.isFinite(v) ? Float.toString(v) : "null";
    }

    private static String rounded(float v) {
        return Float.isFinite(v) ? String.format(Locale.ROOT, "%.4f", v) : "n/a";
    }
}
