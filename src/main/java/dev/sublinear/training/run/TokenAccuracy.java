package dev.sublinear.training.run;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;

/**
 * How often the model's most likely prediction is the target, counted over exactly what the loss
 * counts: for a causal LM the target tokens its mask selects, each weighted by its mask value (as
 * {@link MaskedCrossEntropy} weights them); for a classifier each row once. The arrays it makes
 * live in the predictions' manager: call it inside a scope that is closed after the batch.
 */
final class TokenAccuracy {

    /** Correct predictions (mask-weighted) and what they are a fraction of. */
    record Counts(double correct, double weight) {

        static final Counts NONE = new Counts(0, 0);

        Counts plus(Counts other) {
            return new Counts(correct + other.correct, weight + other.weight);
        }

        /** The fraction correct; NaN when nothing was counted. */
        float fraction() {
            return weight > 0 ? (float) (correct / weight) : Float.NaN;
        }
    }

    private TokenAccuracy() {}

    /**
     * Counts one batch.
     *
     * @param labels (targets [B, T], mask [B, T]) for a causal LM; (labels [B]) for a classifier
     * @param predictions logits [B, T, V] or [B, L]
     */
    static Counts count(NDList labels, NDArray predictions, boolean classification) {
        NDArray predicted = predictions.argMax(-1);
        if (classification) {
            NDArray truth = labels.singletonOrThrow();
            long correct = predicted
                    .eq(truth.toType(predicted.getDataType(), false))
                    .sum()
                    .getLong();
            return new Counts(correct, truth.getShape().get(0));
        }
        NDArray targets = labels.get(0);
        NDArray mask = labels.get(1);
        NDArray hits =
                predicted.eq(targets.toType(predicted.getDataType(), false)).toType(mask.getDataType(), false);
        double correct = hits.mul(mask).sum().toType(DataType.FLOAT64, false).getDouble();
        double weight = mask.sum().toType(DataType.FLOAT64, false).getDouble();
        return new Counts(correct, weight);
    }
}
