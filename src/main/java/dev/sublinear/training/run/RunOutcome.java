package dev.sublinear.training.run;

import java.util.List;

/**
 * How a run ended.
 *
 * @param status completed, cancelled or paused
 * @param steps optimizer steps done
 * @param lastTrainLoss the last step's loss
 * @param lastValidLoss the last validation loss (NaN without validation data)
 * @param losses every step's training loss, in order
 * @param trainedTokens tokens (or examples) trained on
 * @param lastCheckpoint the newest checkpoint's name, or null
 */
public record RunOutcome(
        Status status,
        int steps,
        float lastTrainLoss,
        float lastValidLoss,
        List<Float> losses,
        long trainedTokens,
        String lastCheckpoint) {

    /** How a run ended. */
    public enum Status {
        COMPLETED,
        CANCELLED,
        PAUSED
    }
}
