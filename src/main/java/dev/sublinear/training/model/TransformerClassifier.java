package dev.sublinear.training.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.core.Linear;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;

/** The decoder stack, mean-pooled over the tokens (not padding), then label logits [B, L]. */
public final class TransformerClassifier extends AbstractBlock {

    private final DecoderStack stack;
    private final Linear head;
    private final int labels;

    public TransformerClassifier(ModelConfig config) {
        stack = addChildBlock("decoder", new DecoderStack(config));
        head = addChildBlock(
                "classifier_head",
                Linear.builder().setUnits(config.labels().size()).build());
        labels = config.labels().size();
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray hidden = stack.forward(store, inputs, training).singletonOrThrow();
        NDArray mask = inputs.get(1).expandDims(2);
        NDArray pooled =
                hidden.mul(mask).sum(new int[] {1}).div(mask.sum(new int[] {1}).maximum(1f));
        return head.forward(store, new NDList(pooled), training);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        return new Shape[] {new Shape(inputShapes[0].get(0), labels)};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        stack.initialize(manager, dataType, inputShapes);
        Shape hidden = stack.getOutputShapes(inputShapes)[0];
        head.initialize(manager, dataType, new Shape(hidden.get(0), hidden.get(2)));
    }
}
