package dev.sublinear.study;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.ParameterStore;
import dev.sublinear.training.NoGrad;
import dev.sublinear.training.data.Encoder;
import dev.sublinear.training.data.Example;
import dev.sublinear.training.model.LoadedModel;
import dev.sublinear.training.run.Batches;
import java.util.ArrayList;
import java.util.List;

/**
 * Held-out exact match under greedy decoding, in one teacher-forced pass per batch: greedy decoding
 * reproduces a completion (and stops after it) exactly when, at every completion position and at the
 * end-of-sequence, the most likely next token given the true prefix is the true token. The first
 * position where that fails is where greedy decoding would leave the reference.
 */
final class ExactMatch {

    private static final int BATCH = 64;

    private ExactMatch() {}

    /** The fraction of {@code pairs} whose translation greedy decoding gets exactly right. */
    static double of(LoadedModel model, List<TranslationTask.Pair> pairs) {
        Encoder encoder = new Encoder(model.tokenizer(), model.config().contextLength(), List.of());
        List<Encoder.Encoded> encoded = new ArrayList<>(pairs.size());
        for (TranslationTask.Pair p : pairs) {
            encoded.add(encoder.encode(new Example.Completion(0, p.source(), p.target())));
        }
        int correct = 0;
        try (NoGrad ignored = NoGrad.enter();
                NDManager manager = model.model().getNDManager().newSubManager()) {
            ParameterStore store = new ParameterStore(manager, false);
            for (int from = 0; from < encoded.size(); from += BATCH) {
                try (NDManager scope = manager.newSubManager()) {
                    List<Encoder.Encoded> batch = encoded.subList(from, Math.min(encoded.size(), from + BATCH));
                    Batches.Arrays arrays =
                            Batches.toArrays(scope, batch, model.tokenizer().padId());
                    NDArray predicted = model.block()
                            .forward(store, arrays.inputs(), false)
                            .singletonOrThrow()
                            .argMax(-1);
                    NDArray targets = arrays.labels().get(0);
                    NDArray counted = arrays.labels().get(1).toType(DataType.BOOLEAN, false);
                    // a row is right when no counted position is wrong
                    NDArray wrong = predicted.neq(targets).logicalAnd(counted).sum(new int[] {1});
                    long[] errors = wrong.toType(DataType.INT64, false).toLongArray();
                    for (long e : errors) {
                        correct += e == 0 ? 1 : 0;
                    }
                }
            }
        }
        return pairs.isEmpty() ? Double.NaN : (double) correct / pairs.size();
    }
}
