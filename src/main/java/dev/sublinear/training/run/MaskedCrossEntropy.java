package dev.sublinear.training.run;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.training.loss.Loss;

/**
 * Next-token cross-entropy averaged over the targets a mask selects. Labels: (targets [B, T]
 * int64, mask [B, T] float); predictions: logits [B, T, V]. The mask leaves out padding and, for
 * prompt/completion data, the prompt.
 */
public final class MaskedCrossEntropy extends Loss {

    public MaskedCrossEntropy() {
        super("MaskedCrossEntropy");
    }

    @Override
    public NDArray evaluate(NDList labels, NDList predictions) {
        NDArray targets = labels.get(0);
        NDArray mask = labels.get(1);
        NDArray logProbabilities = predictions.singletonOrThrow().logSoftmax(-1);
        NDArray picked = logProbabilities.gather(targets.expandDims(-1), -1).squeeze(-1);
        return picked.mul(mask).sum().neg().div(mask.sum().maximum(1f));
    }
}
