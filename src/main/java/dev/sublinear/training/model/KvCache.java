package dev.sublinear.training.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;

/**
 * The keys and values a causal language model computed for the positions it has seen, one pair per
 * layer, [B, heads, positions, head_dim] each, so that a forward over new tokens attends to them
 * without computing them again (transformers' {@code past_key_values}). The arrays live in a
 * sub-manager of the model's manager that {@link #close} frees: one cache per generation.
 *
 * <p>A forward with the cache calls {@link #extend} once per layer with that layer's new keys and
 * values and then {@link #advance} with the number of new positions; {@link #length} is the number
 * of positions before the forward, the offset of the new tokens' positions.
 */
public final class KvCache implements AutoCloseable {

    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private int length;

    /** An empty cache for a model of {@code layers} layers, its arrays under {@code parent}. */
    public KvCache(NDManager parent, int layers) {
        this.manager = parent.newSubManager();
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
    }

    /** Positions cached: the position of the next token fed. */
    public int length() {
        return length;
    }

    /**
     * Appends a layer's keys and values of the new positions (axis 2) and answers the layer's keys and
     * values of every position, cached and new, owned by the cache.
     */
    public NDArray[] extend(int layer, NDArray newKeys, NDArray newValues) {
        keys[layer] = append(keys[layer], newKeys);
        values[layer] = append(values[layer], newValues);
        return new NDArray[] {keys[layer], values[layer]};
    }

    private NDArray append(NDArray cached, NDArray added) {
        // a copy, not the forward's array: that may be a view that keeps a larger q/k/v tensor alive
        NDArray all = cached == null ? added.duplicate() : NDArrays.concat(new NDList(cached, added), 2);
        all.attach(manager);
        if (cached != null) {
            cached.close();
        }
        return all;
    }

    /** Records that a forward added {@code positions} positions to every layer. */
    public void advance(int positions) {
        length += positions;
    }

    /** Forgets every position, freeing the arrays: the next forward starts at position 0. */
    public void clear() {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != null) {
                keys[i].close();
                values[i].close();
            }
            keys[i] = null;
            values[i] = null;
        }
        length = 0;
    }

    @Override
    public void close() {
        clear();
        manager.close();
    }
}
