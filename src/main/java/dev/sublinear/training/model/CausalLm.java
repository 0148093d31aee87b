package dev.sublinear.training.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;

/**
 * A causal language model that can continue from a {@link KvCache}: the forward of generation, which
 * feeds a prompt once and then one token at a time. The block's own {@code forward} (training,
 * scoring a whole batch) is unchanged and uses no cache.
 */
public interface CausalLm extends Block {

    /** Layers, one key/value pair each in a {@link KvCache}. */
    int layerCount();

    /** The longest sequence, cached positions and new tokens together. */
    int contextLength();

    /**
     * Next-token logits [B, T, vocab] of {@code ids} [B, T] (int64, no padding) placed after the
     * {@code cache.length()} positions already in {@code cache}: positions (learned, or rotary angles)
     * start at the cache's length, each new token attends to every cached position and the new ones up
     * to itself. Adds the new positions' keys and values to the cache. Inference only (no gradients).
     *
     * @throws IllegalArgumentException when the cache and the new tokens would pass the context
     */
    NDArray forward(ParameterStore store, NDArray ids, KvCache cache);

    /** A new empty cache for this model, its arrays under {@code manager}. */
    default KvCache newCache(NDManager manager) {
        return new KvCache(manager, layerCount());
    }
}
