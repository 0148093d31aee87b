package dev.sublinear.training.model;

import dev.sublinear.training.data.TaskType;
import java.util.List;

/**
 * Everything needed to rebuild a model's block; saved with the model as {@code config.json}.
 *
 * @param task what the model does
 * @param tokenizer the tokenizer's type (see {@link dev.sublinear.training.data.Tokenizer#type()})
 * @param vocabularySize tokens
 * @param contextLength longest sequence
 * @param layers decoder layers
 * @param width hidden size
 * @param heads attention heads (divides width)
 * @param mlpWidth hidden size of each layer's MLP
 * @param labels classification labels, in output order; empty for causal LM
 */
public record ModelConfig(
        TaskType task,
        String tokenizer,
        int vocabularySize,
        int contextLength,
        int layers,
        int width,
        int heads,
        int mlpWidth,
        List<String> labels) {

    public ModelConfig {
        labels = labels == null ? List.of() : List.copyOf(labels);
        require(vocabularySize > 0, "vocabularySize", vocabularySize);
        require(contextLength > 1, "contextLength", contextLength);
        require(layers > 0, "layers", layers);
        require(width > 0 && heads > 0 && width % heads == 0, "width/heads", width + "/" + heads);
        require(mlpWidth > 0, "mlpWidth", mlpWidth);
        if (task == TaskType.CLASSIFICATION && labels.size() < 2) {
            throw new IllegalArgumentException("a classifier needs at least 2 labels, got " + labels);
        }
    }

    /** The same architecture for another task or label set. */
    public ModelConfig withTask(TaskType task, List<String> labels) {
        return new ModelConfig(task, tokenizer, vocabularySize, contextLength, layers, width, heads, mlpWidth, labels);
    }

    private static void require(boolean ok, String name, Object value) {
        if (!ok) {
            throw new IllegalArgumentException("invalid model " + name + ": " + value);
        }
    }
}
