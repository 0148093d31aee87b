package dev.sublinear.training.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Embedding;
import ai.djl.nn.norm.LayerNorm;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.util.PairList;
import java.util.ArrayList;
import java.util.List;

/**
 * Token and position embeddings, a stack of pre-norm decoder layers and a final norm. Inputs:
 * token ids [B, T] (int64) and a mask [B, T] (float, 1 for tokens); output: hidden states [B, T, d].
 */
final class DecoderStack extends AbstractBlock {

    private final ModelConfig config;
    private final Parameter tokenEmbedding;
    private final Parameter positionEmbedding;
    private final List<DecoderLayer> layers = new ArrayList<>();
    private final LayerNorm finalNorm;

    DecoderStack(ModelConfig config) {
        this.config = config;
        tokenEmbedding = addParameter(Parameter.builder()
                .setName("token_embedding")
                .setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(config.vocabularySize(), config.width()))
                .optInitializer(new NormalInitializer(0.02f))
                .build());
        positionEmbedding = addParameter(Parameter.builder()
                .setName("position_embedding")
                .setType(Parameter.Type.WEIGHT)
                .optShape(new Shape(config.contextLength(), config.width()))
                .optInitializer(new NormalInitializer(0.02f))
                .build());
        for (int i = 0; i < config.layers(); i++) {
            layers.add(addChildBlock("layer" + i, new DecoderLayer(config.width(), config.heads(), config.mlpWidth())));
        }
        finalNorm = addChildBlock("final_norm", LayerNorm.builder().axis(2).build());
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
        NDArray tokens = inputs.get(0);
        NDArray mask = inputs.get(1);
        long length = tokens.getShape().get(1);
        if (length > config.contextLength()) {
            throw new IllegalArgumentException(
                    "sequence of " + length + " tokens exceeds the context of " + config.contextLength());
        }
        NDArray tokenTable = store.getValue(tokenEmbedding, tokens.getDevice(), training);
        NDArray positionTable = store.getValue(positionEmbedding, tokens.getDevice(), training);
        NDArray h = Embedding.embedding(tokens, tokenTable, SparseFormat.DENSE).singletonOrThrow();
        NDArray positions = positionTable.get(new NDIndex("0:{}", length));
        // a slice of a parameter belongs to the model's manager: move it to this forward's scope
        positions.attach(tokens.getManager());
        h = h.add(positions);
        for (DecoderLayer layer : layers) {
            h = layer.forward(store, new NDList(h, mask), training).singletonOrThrow();
        }
        return finalNorm.forward(store, new NDList(h), training);
    }

    /** Hidden states [B, T, d] of new tokens after those in {@code cache} (see {@link CausalLm}). */
    NDArray forward(ParameterStore store, NDArray tokens, KvCache cache) {
        long length = tokens.getShape().get(1);
        int offset = cache.length();
        if (offset + length > config.contextLength()) {
            throw new IllegalArgumentException(
                    "sequence of " + (offset + length) + " tokens exceeds the context of " + config.contextLength());
        }
        NDArray tokenTable = store.getValue(tokenEmbedding, tokens.getDevice(), false);
        NDArray positionTable = store.getValue(positionEmbedding, tokens.getDevice(), false);
        NDArray h = Embedding.embedding(tokens, tokenTable, SparseFormat.DENSE).singletonOrThrow();
        NDArray positions = positionTable.get(new NDIndex("{}:{}", offset, offset + length));
        positions.attach(tokens.getManager());
        h = h.add(positions);
        for (int i = 0; i < layers.size(); i++) {
            h = layers.get(i).forward(store, h, cache, i);
        }
        cache.advance((int) length);
        return finalNorm.forward(store, new NDList(h), false).singletonOrThrow();
    }

    int layerCount() {
        return layers.size();
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        Shape tokens = inputShapes[0];
        return new Shape[] {new Shape(tokens.get(0), tokens.get(1), config.width())};
    }

    @Override
    protected void initializeChildBlocks(NDManager manager, DataType dataType, Shape... inputShapes) {
        Shape hidden = getOutputShapes(inputShapes)[0];
        for (DecoderLayer layer : layers) {
            layer.initialize(manager, dataType, hidden, inputShapes[1]);
        }
        finalNorm.initialize(manager, dataType, hidden);
    }
}
