package dev.sublinear.training.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Activation;
import ai.djl.nn.core.Linear;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/** Pre-norm Transformer layer: h = x + attn(norm(x)); y = h + mlp(norm(h)), with a GELU MLP. */
final class DecoderLayer extends AbstractBlock {

    private final LayerNorm attentionNorm;
    private final CausalSelfAttention attention;
    private final LayerNorm mlpNorm;
    private final Linear mlpIn;
    private final Linear mlpOut;

    DecoderLayer(int width, int heads, int mlpWidth) {
        attentionNorm =
                addChildBlock("attention_norm", LayerNorm.builder().axis(2).build());
        attention = addChildBlock("attention", new CausalSelfAttention(width, heads));
        mlpNorm = addChildBlock("mlp_norm", LayerNorm.builder().axis(2).build());
        mlpIn = addChildBlock("mlp_in", Linear.builder().setUnits(mlpWidth).build());
        mlpOut = addChildBlock("mlp_out", Linear.builder().setUnits(width).build());
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray x = inputs.get(0);
        NDArray mask = inputs.get(1);
        NDArray normed = attentionNorm.forward(store, new NDList(x), training).singletonOrThrow();
        NDArray h = x.add(
                attention.forward(store, new NDList(normed, mask), training).singletonOrThrow());
        NDArray mlp = mlpNorm.forward(store, new NDList(h), training).singletonOrThrow();
        mlp = Activation.gelu(mlpIn.forward(store, new NDList(mlp), training).singletonOrThrow());
        mlp = mlpOut.forward(store, new NDList(mlp), training).singletonOrThrow();
        return new NDList(h.add(mlp));
    }

    /** As the block's forward, for new positions after those in {@code cache} (see {@link CausalLm}). */
    NDArray forward(ParameterStore store, NDArray x, KvCache cache, int layer) {
        NDArray normed = attentionNorm.forward(store, new NDList(x), false).singletonOrThrow();
        NDArray h = x.add(attention.forward(store, normed, cache, layer));
        NDArray mlp = mlpNorm.forward(store, new NDList(h), false).singletonOrThrow();
        mlp = Activation.gelu(mlpIn.forward(store, new NDList(mlp), false).singletonOrThrow());
        mlp = mlpOut.forward(store, new NDList(mlp), false).singletonOrThrow();
        return h.add(mlp);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {inputShapes[0]};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape hidden = inputShapes[0];
        attentionNorm.initialize(manager, dataType, hidden);
        attention.initialize(manager, dataType, hidden, inputShapes[1]);
        mlpNorm.initialize(manager, dataType, hidden);
        mlpIn.initialize(manager, dataType, hidden);
        mlpOut.initialize(manager, dataType, mlpIn.getOutputShapes(new Shape[] {hidden}));
    }
}
