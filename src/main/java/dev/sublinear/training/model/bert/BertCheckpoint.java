package dev.sublinear.training.model.bert;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.sublinear.training.model.HfParameters;
import dev.sublinear.training.weights.SafetensorsReader;
import dev.sublinear.training.weights.TensorInfo;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Maps a BERT checkpoint's names onto BertForSequenceClassification's, as transformers' {@code
 * from_pretrained} does for that class, so that both a fine-tuned classifier and a bare encoder (a
 * BertModel, such as the sentence-transformers MiniLM) load.
 */
final class BertCheckpoint {

    private static final String CLASSIFIER_WEIGHT = "classifier.weight";

    /**
     * The head that transformers creates anew when a checkpoint lacks it: a BertModel saved without
     * its pooler, or any encoder without a classifier.
     */
    private static final List<String> NEW_HEAD = List.of(
            BertForSequenceClassification.PREFIX + "pooler.dense.weight",
            BertForSequenceClassification.PREFIX + "pooler.dense.bias",
            CLASSIFIER_WEIGHT,
            "classifier.bias");

    private BertCheckpoint() {}

    /**
     * Sets every parameter from {@code reader}. Accepted variants: names without the {@code bert.}
     * prefix when no name has it (transformers then prefixes them all, as for a BertModel checkpoint);
     * the {@code embeddings.position_ids} buffer (skipped unread); the TF-era {@code LayerNorm.gamma}
     * and {@code LayerNorm.beta} (read as {@code .weight} and {@code .bias}); and, in a prefixed
     * checkpoint, BertForPreTraining's {@code cls.*} heads, which this class has no use for and
     * transformers drops too. A missing pooler or classifier parameter is created as _init_weights
     * does (weights normal(0, initializer_range), biases zero) and named in the result. Anything else
     * missing, unexpected, given twice or misshaped (a classifier for another number of labels
     * included) is an {@link IllegalArgumentException} naming the keys, before any parameter is set.
     * With {@code newHead} the checkpoint's classifier is ignored and a new one created.
     */
    static Set<String> load(
            HfParameters parameters, BertConfig config, NDManager manager, SafetensorsReader reader, boolean newHead)
            throws IOException {
        boolean prefixed =
                reader.names().stream().anyMatch(name -> name.startsWith(BertForSequenceClassification.PREFIX));
        Map<String, String> keyByName = new LinkedHashMap<>();
        Map<String, Shape> given = new LinkedHashMap<>();
        List<String> twice = new ArrayList<>();
        for (TensorInfo tensor : reader.tensors()) {
            String key = tensor.name();
            if (prefixed && key.startsWith("cls.") || newHead && key.startsWith("classifier.")) {
                continue; // with newHead, a classifier for other labels is left out and made anew
            }
            String name = rename(prefixed ? key : BertForSequenceClassification.PREFIX + key);
            if (name.equals(BertForSequenceClassification.PREFIX + "embeddings.position_ids")) {
                continue;
            }
            if (keyByName.put(name, key) != null) {
                twice.add(name);
            }
            given.put(name, new Shape(tensor.shape()));
        }
        if (!twice.isEmpty()) {
            throw new IllegalArgumentException("BERT weights given twice under two names: " + twice);
        }
        Shape head = given.get(CLASSIFIER_WEIGHT);
        if (head != null && head.dimension() == 2 && head.get(0) != config.numLabels()) {
            throw new IllegalArgumentException(CLASSIFIER_WEIGHT + " has shape " + head + ": a classifier for "
                    + head.get(0) + " labels, the config has " + config.numLabels() + " " + config.labels());
        }
        Set<String> created = new LinkedHashSet<>();
        for (String name : NEW_HEAD) {
            if (!given.containsKey(name)) {
                created.add(name);
                given.put(name, parameters.shapes().get(name));
            }
        }
        parameters.check(given);
        Map<String, NDArray> arrays = new LinkedHashMap<>();
        try (NDManager scratch = manager.newSubManager()) {
            for (Map.Entry<String, String> entry : keyByName.entrySet()) {
                arrays.put(entry.getKey(), reader.read(entry.getValue(), scratch));
            }
            for (String name : created) {
                Shape shape = parameters.shapes().get(name);
                arrays.put(
                        name,
                        name.endsWith(".bias")
                                ? scratch.zeros(shape, DataType.FLOAT32)
                                : scratch.randomNormal(0f, (float) config.initializerRange(), shape, DataType.FLOAT32));
            }
            parameters.setAll(manager, arrays);
        }
        return created;
    }

    /** transformers' renaming of TF-era LayerNorm names. */
    private static String rename(String name) {
        if (name.endsWith(".LayerNorm.gamma")) {
            return name.substring(0, name.length() - "gamma".length()) + "weight";
        }
        if (name.endsWith(".LayerNorm.beta")) {
            return name.substring(0, name.length() - "beta".length()) + "bias";
        }
        return name;
    }
}
