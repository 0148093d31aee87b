package dev.sublinear.training.run;

/** A run's memory passed its budget: the run stopped before the process ran out of memory. */
public final class MemoryBudgetExceededException extends TrainingFailedException {

    private final long usedBytes;
    private final long budgetBytes;

    MemoryBudgetExceededException(long usedBytes, long budgetBytes, int step) {
        super(
                "the run used " + MemoryBudget.describe(usedBytes) + " of memory at step " + step
                        + ", more than its memory budget of " + MemoryBudget.describe(budgetBytes),
                step);
        this.usedBytes = usedBytes;
        this.budgetBytes = budgetBytes;
    }

    public long usedBytes() {
        return usedBytes;
    }

    public long budgetBytes() {
        return budgetBytes;
    }
}
