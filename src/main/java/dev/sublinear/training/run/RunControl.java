package dev.sublinear.training.run;

/** Asks a running run to stop; read between steps, so a request takes effect within one step. */
public final class RunControl {

    private volatile boolean cancelRequested;
    private volatile boolean pauseRequested;

    public void cancel() {
        cancelRequested = true;
    }

    /** Stops after writing a checkpoint, so the run can resume from where it paused. */
    public void pause() {
        pauseRequested = true;
    }

    boolean cancelRequested() {
        return cancelRequested;
    }

    boolean pauseRequested() {
        return pauseRequested;
    }
}
