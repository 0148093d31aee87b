package dev.sublinear.training.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.sublinear.training.NoGrad;

/**
 * Feeds a causal language model a sequence piece by piece, keeping a {@link KvCache}: the prompt in
 * one forward, then each new token in a forward of one position, which costs the same whatever the
 * length so far. One per generation; {@link #close} frees the cache.
 */
public final class IncrementalDecoder implements AutoCloseable {

    /** Receives one position's log-probabilities over the vocabulary. */
    @FunctionalInterface
    public interface RowConsumer {
        void accept(int position, float[] logProbs);
    }

    private final CausalLm lm;
    private final NDManager manager;
    private final ParameterStore store;
    private final KvCache cache;

    /** @throws IllegalStateException when the model is not a causal language model */
    public IncrementalDecoder(LoadedModel model) {
        if (!(model.block() instanceof CausalLm causal)) {
            throw new IllegalStateException(
                    "this model is for " + model.config().task().id() + ", not generation");
        }
        this.lm = causal;
        this.manager = model.model().getNDManager().newSubManager();
        this.store = new ParameterStore(manager, false);
        this.cache = lm.newCache(manager);
    }

    /** Positions fed so far. */
    public int length() {
        return cache.length();
    }

    /** The most positions the model takes. */
    public int contextLength() {
        return lm.contextLength();
    }

    /** Feeds {@code ids} after those fed before; answers the next-token logits after the last of them. */
    public float[] feed(int[] ids) {
        try (NoGrad ignored = NoGrad.enter();
                NDManager step = manager.newSubManager()) {
            NDArray logits = lm.forward(store, ids(step, ids), cache);
            return logits.get(0, ids.length - 1).toFloatArray();
        }
    }

    /** Forgets what was fed and feeds {@code ids} from position 0 (a window moved along a long text). */
    public float[] restart(int[] ids) {
        cache.clear();
        return feed(ids);
    }

    /**
     * Feeds {@code ids} after those fed before and hands {@code rows} each new position's
     * log-probabilities of the next token (log_softmax of the logits, computed in float32 on the
     * model's device), position by position so that only one row is on the heap at a time.
     */
    public void feed(int[] ids, RowConsumer rows) {
        try (NoGrad ignored = NoGrad.enter();
                NDManager step = manager.newSubManager()) {
            NDArray logProbs = lm.forward(store, ids(step, ids), cache).logSoftmax(-1);
            for (int t = 0; t < ids.length; t++) {
                float[] row;
                try (NDManager scope = step.newSubManager()) {
                    NDArray slice = logProbs.get(0, t);
                    slice.attach(scope);
                    row = slice.toFloatArray();
                }
                rows.accept(t, row);
            }
        }
    }

    private static NDArray ids(NDManager manager, int[] tokens) {
        long[] ids = new long[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            ids[i] = tokens[i];
        }
        return manager.create(ids, new Shape(1, tokens.length));
    }

    @Override
    public void close() {
        cache.close();
        manager.close();
    }
}
