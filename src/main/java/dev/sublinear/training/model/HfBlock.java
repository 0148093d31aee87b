package dev.sublinear.training.model;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
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

    @Override
    protected void prepare(Shape[] inputShapes) {
        parameters.prepareShapes();
    }
}
