package dev.sublinear.training.run;

/** A run that could not continue for a reason other than bad data (e.g. a non-finite loss). */
public class TrainingFailedException extends Exception {

    private final int step;

    public TrainingFailedException(String message, int step) {
        super(message);
        this.step = step;
    }

    public int step() {
        return step;
    }
}
