package dev.sublinear.training.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import dev.sublinear.training.weights.SafetensorsReader;
import java.io.IOException;
import java.util.Map;

/**
 * What every Hugging Face architecture's block shares: its parameters kept by Hugging Face name in
 * {@link HfParameters}, answered as {@link PretrainedBlock} asks, and shaped at {@code prepare} from
 * the config (not from the input shapes), so that loaded arrays can replace the initializers.
 */
public abstract class HfBlock extends AbstractBlock implements PretrainedBlock {

    /** The parameters by Hugging Face name; each family registers them in its constructor. */
    protected final HfParameters parameters;

    /** @param family the architecture's name in errors, e.g. "GPT-2" */
    protected HfBlock(String family) {
        this.parameters = new HfParameters(family);
    }

    /** Every parameter by its Hugging Face name, in the order of the model's state dict. */
    @Override
    public Map<String, Parameter> hfParameters() {
        return parameters.byName();
    }

    /** The shape of every parameter, by Hugging Face name, as the config defines it. */
    @Override
    public Map<String, Shape> hfShapes() {
        return parameters.shapes();
    }

    /**
     * Sets every parameter from {@code weights}, which must hold each Hugging Face name once, with
     * its shape, and nothing else; anything else is an {@link IllegalArgumentException} naming the
     * keys, thrown before any parameter is set. The arrays become the parameters (float32, attached
     * to {@code manager}). Call before {@link #initialize}, which then keeps them.
     */
    public void loadWeights(NDManager manager, Map<String, NDArray> weights) {
        parameters.load(manager, weights);
    }

    /**
     * Sets every parameter from a safetensors file or set, checked by name and shape against its
     * headers before any data is read (see {@link #loadWeights(NDManager, Map)}).
     */
    public void loadWeights(NDManager manager, SafetensorsReader reader) throws IOException {
        parameters.load(manager, reader);
    }

    @Override
    protected void prepare(Shape[] inputShapes) {
        parameters.prepareShapes();
    }
}
