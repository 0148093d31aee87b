package dev.sublinear.training.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/**
 * Multi-head self-attention in which a position sees itself, the positions before it, and no
 * padding. Inputs: hidden states [B, T, d] and a mask [B, T] (1 for tokens, 0 for padding).
 */
final class CausalSelfAttention extends AbstractBlock {

    /** Added to the scores of forbidden pairs; softmax turns it into 0 without NaN from -inf. */
    private static final float FORBIDDEN = -1e9f;

    private final int width;
    private final int heads;
    private final Linear projectQkv;
    private final Linear projectOut;

    CausalSelfAttention(int width, int heads) {
        this.width = width;
        this.heads = heads;
        this.projectQkv =
                addChildBlock("qkv", Linear.builder().setUnits(3L * width).build());
        this.projectOut = addChildBlock("out", Linear.builder().setUnits(width).build());
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.get(0);
        NDArray mask = inputs.get(1);
        long batch = x.getShape().get(0);
        long length = x.getShape().get(1);
        int headWidth = width / heads;
        NDArray[] qkv = queriesKeysValues(store, x, training);
        NDArray q = qkv[0];
        NDArray k = qkv[1];
        NDArray v = qkv[2];

        // The scale is an array owned by this forward's manager, not a Number: DJL turns a Number
        // into a tensor over a Java buffer and frees it after the op, but autograd keeps it for
        // the backward pass, which then reads freed memory (NaN gradients, depending on GC).
        NDArray scale = x.getManager().create((float) (1 / Math.sqrt(headWidth)));
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).mul(scale);
        scores = scores.add(attentionBias(x.getManager(), mask, length));
        NDArray attended = scores.softmax(-1).matMul(v);
        NDArray merged = attended.transpose(0, 2, 1, 3).reshape(batch, length, width);
        return projectOut.forward(store, new NDList(merged), training);
    }

    /** Queries, keys and values of x [B, T, d], each split into heads: [B, heads, T, d / heads]. */
    private NDArray[] queriesKeysValues(ParameterStore store, NDArray x, boolean training) {
        long batch = x.getShape().get(0);
        long length = x.getShape().get(1);
        NDList qkv = projectQkv
                .forward(store, new NDList(x), training)
                .singletonOrThrow()
                .split(3, 2);
        Shape split = new Shape(batch, length, heads, width / heads);
        return new NDArray[] {
            qkv.get(0).reshape(split).transpose(0, 2, 1, 3),
            qkv.get(1).reshape(split).transpose(0, 2, 1, 3),
            qkv.get(2).reshape(split).transpose(0, 2, 1, 3)
        };
    }

    /**
     * Attention of new positions [B, T, d] (no padding) to themselves and the {@code cache}'s
     * positions before them, adding their keys and values to the cache as {@code layer}'s.
     */
    NDArray forward(ParameterStore store, NDArray x, KvCache cache, int layer) {
        long batch = x.getShape().get(0);
        long length = x.getShape().get(1);
        int headWidth = width / heads;
        NDArray[] qkv = queriesKeysValues(store, x, false);
        NDArray q = qkv[0];
        int offset = cache.length();
        NDArray[] kv = cache.extend(layer, qkv[1], qkv[2]);
        NDArray scale = x.getManager().create((float) (1 / Math.sqrt(headWidth)));
        NDArray scores = q.matMul(kv[0].transpose(0, 1, 3, 2)).mul(scale);
        if (length > 1) {
            scores = scores.add(cachedCausalBias(x.getManager(), offset, length, x.getDevice()));
        }
        NDArray attended = scores.softmax(-1).matMul(kv[1]);
        NDArray merged = attended.transpose(0, 2, 1, 3).reshape(batch, length, width);
        return projectOut.forward(store, new NDList(merged), false).singletonOrThrow();
    }

    /**
     * 0 where new query i (at position offset + i) may see key j of all offset + length positions
     * (j &lt;= offset + i), {@code forbidden} elsewhere: [1, 1, length, offset + length]. A single new
     * token sees every key and needs none.
     */
    static NDArray cachedCausalBias(NDManager manager, int offset, long length, Device device) {
        long keys = offset + length;
        NDArray queryPositions = manager.arange(offset, (int) keys, 1, DataType.INT32, device);
        NDArray keyPositions = manager.arange(0, (int) keys, 1, DataType.INT32, device);
        NDArray allowed = keyPositions
                .reshape(1, keys)
                .lte(queryPositions.reshape(length, 1))
                .toType(DataType.FLOAT32, false);
        return allowed.sub(1f).mul(-FORBIDDEN).reshape(1, 1, length, keys);
    }

    /** 0 where query i may attend key j (j &lt;= i, j not padding), FORBIDDEN elsewhere: [B, 1, T, T]. */
    private static NDArray attentionBias(NDManager manager, NDArray mask, long length) {
        NDArray positions = manager.arange(0, (int) length, 1, DataType.INT32, mask.getDevice());
        NDArray causal =
                positions.reshape(1, length).lte(positions.reshape(length, 1)).toType(DataType.FLOAT32, false);
        NDArray keys = mask.reshape(mask.getShape().get(0), 1, 1, length);
        NDArray allowed = causal.reshape(1, 1, length, length).mul(keys);
        return allowed.sub(1f).mul(-FORBIDDEN);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        projectQkv.initialize(manager, dataType, inputShapes[0]);
        projectOut.initialize(manager, dataType, inputShapes[0]);
    }
}
