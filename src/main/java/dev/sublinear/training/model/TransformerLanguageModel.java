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

/** Decoder-only LM: the decoder stack and an output projection to vocabulary logits [B, T, V]. */
public final class TransformerLanguageModel extends AbstractBlock implements CausalLm {

    private final DecoderStack stack;
    private final Linear head;
    private final int vocabularySize;
    private final int contextLength;

    public TransformerLanguageModel(ModelConfig config) {
        stack = addChildBlock("decoder", new DecoderStack(config));
        head = addChildBlock(
                "lm_head",
                Linear.builder()
                        .setUnits(config.vocabularySize())
                        .optBias(false)
                        .build());
        vocabularySize = config.vocabularySize();
        contextLength = config.contextLength();
    }

    @Override
    public int layerCount() {
        return stack.layerCount();
    }

    @Override
    public int contextLength() {
        return contextLength;
    }

    @Override
    public NDArray forward(ParameterStore store, NDArray ids, KvCache cache) {
        NDArray hidden = stack.forward(store, ids, cache);
        return head.forward(store, new NDList(hidden), false).singletonOrThrow();
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDList hidden = stack.forward(store, inputs, training);
        return head.forward(store, hidden, training);
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape tokens = inputShapes[0];
        return new Shape[] {new Shape(tokens.get(0), tokens.get(1), vocabularySize)};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        stack.initialize(manager, dataType, inputShapes);
        head.initialize(manager, dataType, stack.getOutputShapes(inputShapes));
    }
}
