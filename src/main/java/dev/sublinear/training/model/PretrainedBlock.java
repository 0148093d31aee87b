package dev.sublinear.training.model;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import dev.sublinear.training.data.TaskType;
import dev.sublinear.training.weights.SafetensorsReader;
import java.io.IOException;
import java.util.Map;
import java.util.Set;

/**
 * A Hugging Face architecture as a DJL block: its parameters under their Hugging Face names, loaded
 * from the safetensors transformers writes and written back under the same names.
 *
 * <p>Forward contract shared by every family: inputs {@code (ids, mask)}, token ids [B, T] int64 and
 * a float32 [B, T] mask of 1 for a real token and 0 for padding (always at the end of a row). A causal
 * language model answers logits [B, T, vocab]; it may ignore the mask, since with right padding no
 * real token attends to a pad. A sequence classifier answers logits [B, labels].
 */
public interface PretrainedBlock extends Block {

    /** What the block computes: next-token logits or label logits. */
    TaskType task();

    /** The longest sequence the block accepts (its position table, or the config's context). */
    int contextLength();

    /** Every parameter by its Hugging Face name, in the order of the model's state dict. */
    Map<String, Parameter> hfParameters();

    /** The shape of every parameter, by Hugging Face name, as the config defines it. */
    Map<String, Shape> hfShapes();

    /**
     * Sets the parameters from a checkpoint as transformers saves it, accepting that family's naming
     * variants (a missing prefix, buffers, a tied head written twice) and nothing else, checked against
     * the headers before any data is read; an {@link IllegalArgumentException} names the keys at fault.
     * Call before {@code initialize}.
     *
     * @return the Hugging Face names of parameters the checkpoint does not hold and the architecture
     *     creates anew as transformers does (a new classification head); empty when all were loaded
     */
    Set<String> loadCheckpoint(NDManager manager, SafetensorsReader reader) throws IOException;
}
