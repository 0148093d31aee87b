package dev.sublinear.training.run;

/**
 * Asks a running run to stop; read between steps, so a request takes effect within one step. Also
 * carries the run's memory budget, checked between micro-batches.
 */
public final class RunControl {

    private volatile boolean cancelRequested;
    private volatile boolean pauseRequested;
    private volatile MemoryBudget memory;

    public void cancel() {
        cancelRequested = true;
    }

    /** Stops after writing a checkpoint, so the run can resume from where it paused. */
    public void pause() {
        pauseRequested = true;
    }

    /** From now on the run fails with {@link MemoryBudgetExceededException} once it takes more than {@code budget}. */
    public void limitMemory(MemoryBudget budget) {
        memory = budget;
    }

    boolean cancelRequested() {
        return cancelRequested;
    }

    boolean pauseRequested() {
        return pauseRequested;
    }

    void checkMemory(int step) throws MemoryBudgetExceededException {
        MemoryBudget budget = memory;
        if (budget != null) {
            budget.check(step);
        }
    }
}
