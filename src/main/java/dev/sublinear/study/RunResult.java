package dev.sublinear.study;

import java.io.Serializable;
import java.util.List;

/**
 * What one variant did with one seed.
 *
 * @param variant the variant's id
 * @param seed the model-initialisation and shuffling seed
 * @param steps optimizer steps completed
 * @param trainLosses the training loss of every completed step
 * @param validation validation losses as (step, loss), from step 0
 * @param failure why training stopped early (a non-finite loss or update), or null
 * @param exactMatch held-out exact match under greedy decoding (0 when training failed)
 * @param sample the greedy translation of the first held-out sentence (empty when training failed)
 * @param stateBytes optimizer state held after the first step
 * @param adamBytes what Adam holds for the same model
 * @param parameterBytes the model's parameters
 * @param stepMillis median milliseconds of a training step (forward, backward, optimizer)
 * @param seconds wall time of the whole run, evaluation included
 */
public record RunResult(
        String variant,
        long seed,
        int steps,
        float[] trainLosses,
        List<Point> validation,
        String failure,
        double exactMatch,
        String sample,
        long stateBytes,
        long adamBytes,
        long parameterBytes,
        double stepMillis,
        double seconds)
        implements Serializable {

    /** A validation loss at a step. */
    public record Point(int step, double loss) implements Serializable {}

    public boolean failed() {
        return failure != null;
    }

    /** The last validation loss, or infinity when training failed (it never finished). */
    public double finalValidLoss() {
        return failed() || validation.isEmpty()
                ? Double.POSITIVE_INFINITY
                : validation.get(validation.size() - 1).loss();
    }

    /** The validation loss before the first step. */
    public double initialValidLoss() {
        return validation.isEmpty() ? Double.NaN : validation.get(0).loss();
    }
}
