package dev.sublinear.optimizer;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Splits a range of rows across the cores for the CPU kernels. The caller's thread takes one chunk
 * itself; pool threads park when idle, so nothing spins between steps. Small tensors stay on the
 * caller's thread, where a hand-off would cost more than it saves.
 */
final class RowParallel {

    /** Below this many elements one thread is faster than a hand-off (measured: ~50 us). */
    private static final long MIN_ELEMENTS_TO_SPLIT = 1 << 18;
    private static final int THREADS = Math.max(1, Math.min(8, Runtime.getRuntime().availableProcessors()));
    private static final ExecutorService POOL =
            THREADS == 1
                    ? null
                    : Executors.newFixedThreadPool(
                            THREADS - 1,
                            r -> {
                                Thread t = new Thread(r, "adafactor-cpu-kernel");
                                t.setDaemon(true);
                                return t;
                            });

    @FunctionalInterface
    interface Chunk {
        void run(int index, long from, long to);
    }

    private RowParallel() {}

    /** How many chunks {@link #run} will use for this many rows of {@code width} elements. */
    static int chunks(long rows, long width) {
        if (POOL == null || rows < 2 || rows * width < MIN_ELEMENTS_TO_SPLIT) {
            return 1;
        }
        return (int) Math.min(THREADS, rows);
    }

    /** Runs {@code chunk} over [0, rows) in {@code chunks(rows, width)} parts and waits for all. */
    static void run(long rows, long width, Chunk chunk) {
        int parts = chunks(rows, width);
        if (parts == 1) {
            chunk.run(0, 0, rows);
            return;
        }
        List<Future<?>> futures = new ArrayList<>(parts - 1);
        for (int p = 1; p < parts; p++) {
            int index = p;
            long from = rows * p / parts;
            long to = rows * (p + 1) / parts;
            futures.add(POOL.submit(() -> chunk.run(index, from, to)));
        }
        chunk.run(0, 0, rows / parts);
        for (Future<?> f : futures) {
            try {
                f.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted during an Adafactor step", e);
            } catch (ExecutionException e) {
                Throwable cause = e.getCause();
                if (cause instanceof RuntimeException) {
                    throw (RuntimeException) cause;
                }
                throw new IllegalStateException(cause);
            }
        }
    }
}
