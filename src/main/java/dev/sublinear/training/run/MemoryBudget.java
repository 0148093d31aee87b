package dev.sublinear.training.run;

import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The memory a run may take, checked while it trains ({@link RunControl#limitMemory}).
 *
 * <p>What is measured, and why: the process's resident memory (from {@code /proc/self/statm}) less
 * what it was when the run began. Resident memory is what the kernel's OOM killer goes by, and it
 * holds all of a run's memory: libtorch's native tensors, which neither the JVM nor DJL account
 * for, and the Java heap's examples alike. It is read after every micro-batch's backward pass (the
 * activations' peak), after every optimizer step, evaluation batch and checkpoint, so a run stops
 * within one micro-batch of passing its budget, never in the middle of one: a micro-batch that alone
 * outgrows the machine is what the estimate at creation refuses ({@link MemoryEstimate}).
 *
 * <p>Its limits: a process running several jobs at once counts every job's growth in each job's
 * figure (so several at once stop early rather than late); memory freed earlier in the process and
 * reused by the run does not count, as it adds nothing to what the process holds. Where the platform
 * does not report resident memory (not Linux) nothing is checked.
 */
public final class MemoryBudget {

    private final long budgetBytes;
    private final long baselineBytes;
    private final AtomicLong peakBytes = new AtomicLong();

    private MemoryBudget(long budgetBytes, long baselineBytes) {
        if (budgetBytes <= 0) {
            throw new IllegalArgumentException("a memory budget must be positive: " + budgetBytes);
        }
        this.budgetBytes = budgetBytes;
        this.baselineBytes = baselineBytes;
    }

    /** A budget counted from the process's resident memory now. */
    public static MemoryBudget startingNow(long budgetBytes) {
        return new MemoryBudget(budgetBytes, ProcessMemory.residentBytesNow());
    }

    public long budgetBytes() {
        return budgetBytes;
    }

    /** The most measured so far (0 before the first measurement, or where nothing can be measured). */
    public long peakBytes() {
        return peakBytes.get();
    }

    /** Measures the memory taken since the start now, keeps the peak, and returns it (-1: unknown). */
    public long measure() {
        long resident = ProcessMemory.residentBytesNow();
        if (resident < 0 || baselineBytes < 0) {
            return -1;
        }
        long used = Math.max(0, resident - baselineBytes);
        peakBytes.accumulateAndGet(used, Math::max);
        return used;
    }

    /** Throws when the memory taken passes the budget; {@code step} is the step the run is in. */
    void check(int step) throws MemoryBudgetExceededException {
        long used = measure();
        if (used > budgetBytes) {
            throw new MemoryBudgetExceededException(used, budgetBytes, step);
        }
    }

    /** Bytes for people: "512 MiB", "1.5 GiB". */
    public static String describe(long bytes) {
        if (bytes >= 1L << 30) {
            return String.format(Locale.ROOT, "%.1f GiB", bytes / (double) (1L << 30));
        }
        if (bytes >= 1L << 20) {
            return String.format(Locale.ROOT, "%d MiB", Math.round(bytes / (double) (1L << 20)));
        }
        return String.format(Locale.ROOT, "%d KiB", Math.round(bytes / 1024.0));
    }
}
