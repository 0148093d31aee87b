package dev.sublinear.training.model.bert;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.sublinear.training.model.ConfigJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The fields of a Hugging Face BERT {@code config.json} that the forward and a new head depend on,
 * under their Hugging Face names.
 *
 * @param vocabSize {@code vocab_size}
 * @param hiddenSize {@code hidden_size}
 * @param numHiddenLayers {@code num_hidden_layers}
 * @param numAttentionHeads {@code num_attention_heads} (divides hidden_size)
 * @param intermediateSize {@code intermediate_size}, the feed-forward width
 * @param maxPositionEmbeddings {@code max_position_embeddings}, the longest sequence
 * @param typeVocabSize {@code type_vocab_size}, rows of the token-type table
 * @param layerNormEps {@code layer_norm_eps}
 * @param initializerRange {@code initializer_range}, the std of new weights
 * @param padTokenId {@code pad_token_id}, the word-embedding row a new model starts at zero
 * @param labels the label names in id order, from {@code id2label}
 */
public record BertConfig(
        int vocabSize,
        int hiddenSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int intermediateSize,
        int maxPositionEmbeddings,
        int typeVocabSize,
        double layerNormEps,
        double initializerRange,
        int padTokenId,
        List<String> labels) {

    private static final String WHAT = "BERT config";

    public BertConfig {
        require(vocabSize > 0, "vocab_size", vocabSize);
        require(numHiddenLayers > 0, "num_hidden_layers", numHiddenLayers);
        require(
                hiddenSize > 0 && numAttentionHeads > 0 && hiddenSize % numAttentionHeads == 0,
                "hidden_size/num_attention_heads",
                hiddenSize + "/" + numAttentionHeads);
        require(intermediateSize > 0, "intermediate_size", intermediateSize);
        require(maxPositionEmbeddings > 0, "max_position_embeddings", maxPositionEmbeddings);
        require(typeVocabSize > 0, "type_vocab_size", typeVocabSize);
        require(layerNormEps > 0, "layer_norm_eps", layerNormEps);
        require(initializerRange >= 0, "initializer_range", initializerRange);
        require(padTokenId >= 0 && padTokenId < vocabSize, "pad_token_id", padTokenId);
        require(labels != null && !labels.isEmpty(), "id2label", labels);
        labels = List.copyOf(labels);
    }

    /** Width of one attention head. */
    public int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    public int numLabels() {
        return labels.size();
    }

    /** Reads {@code config.json}; see {@link #parse(String)}. */
    public static BertConfig read(Path file) throws IOException {
        return parse(Files.readString(file));
    }

    /**
     * Parses a Hugging Face BERT config. Absent fields take transformers' {@code BertConfig} defaults
     * (bert-base: 30522, 768, 12 layers, 12 heads, 3072, 512 positions, 2 token types, eps 1e-12,
     * initializer_range 0.02, pad_token_id 0). The labels are {@code id2label} in id order (ids 0 to
     * n - 1, each once; {@code label2id}, if given, its inverse); without it {@code num_labels} (default 2)
     * labels LABEL_0, LABEL_1, ... as transformers names them.
     *
     * <p>Refused rather than computed differently: a {@code model_type} other than bert, a {@code
     * hidden_act} other than gelu (the erf form), a {@code position_embedding_type} other than absolute,
     * a decoder or cross-attention, and a {@code problem_type} other than single-label classification
     * (this block is trained with softmax cross-entropy).
     */
    public static BertConfig parse(String json) {
        JsonObject root = ConfigJson.object(json, WHAT);
        expect(root, "model_type", "bert");
        expect(root, "hidden_act", "gelu");
        expect(root, "position_embedding_type", "absolute");
        expect(root, "problem_type", "single_label_classification");
        flag(root, "is_decoder");
        flag(root, "add_cross_attention");
        return new BertConfig(
                integer(root, "vocab_size", 30522),
                integer(root, "hidden_size", 768),
                integer(root, "num_hidden_layers", 12),
                integer(root, "num_attention_heads", 12),
                integer(root, "intermediate_size", 3072),
                integer(root, "max_position_embeddings", 512),
                integer(root, "type_vocab_size", 2),
                number(root, "layer_norm_eps", 1e-12),
                number(root, "initializer_range", 0.02),
                integer(root, "pad_token_id", 0),
                labels(root));
    }

    private static List<String> labels(JsonObject root) {
        JsonElement id2label = root.get("id2label");
        if (id2label == null || id2label.isJsonNull()) {
            int count = integer(root, "num_labels", 2);
            require(count > 0, "num_labels", count);
            List<String> labels = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                labels.add("LABEL_" + i);
            }
            return labels;
        }
        if (!id2label.isJsonObject()) {
            throw new IllegalArgumentException(WHAT + ": id2label is not an object: " + id2label);
        }
        Map<String, JsonElement> byId = id2label.getAsJsonObject().asMap();
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < byId.size(); i++) {
            JsonElement label = byId.get(Integer.toString(i));
            if (label == null || !label.isJsonPrimitive()) {
                throw new IllegalArgumentException(
                        WHAT + ": id2label " + id2label + " does not name ids 0 to " + (byId.size() - 1) + " once");
            }
            labels.add(label.getAsString());
        }
        if (root.has("num_labels") && integer(root, "num_labels", 0) != labels.size()) {
            throw new IllegalArgumentException(
                    WHAT + ": num_labels " + root.get("num_labels") + " but id2label has " + labels.size());
        }
        JsonElement label2id = root.get("label2id");
        if (label2id != null && !label2id.isJsonNull()) {
            checkInverse(label2id, labels);
        }
        return labels;
    }

    private static void checkInverse(JsonElement label2id, List<String> labels) {
        boolean inverse = label2id.isJsonObject() && label2id.getAsJsonObject().size() == labels.size();
        for (int i = 0; inverse && i < labels.size(); i++) {
            JsonElement id = label2id.getAsJsonObject().get(labels.get(i));
            inverse = id != null
                    && id.isJsonPrimitive()
                    && id.getAsJsonPrimitive().isNumber()
                    && id.getAsDouble() == i;
        }
        if (!inverse) {
            throw new IllegalArgumentException(
                    WHAT + ": label2id " + label2id + " is not the inverse of id2label " + labels);
        }
    }

    private static int integer(JsonObject root, String name, int fallback) {
        JsonElement value = root.get(name);
        return value == null || value.isJsonNull() ? fallback : ConfigJson.integer(root, name, WHAT);
    }

    private static double number(JsonObject root, String name, double fallback) {
        JsonElement value = root.get(name);
        return value == null || value.isJsonNull() ? fallback : ConfigJson.number(root, name, WHAT);
    }

    private static void expect(JsonObject root, String name, String wanted) {
        JsonElement value = root.get(name);
        if (value != null && !value.isJsonNull() && !(value.isJsonPrimitive() && wanted.equals(value.getAsString()))) {
            throw new IllegalArgumentException(WHAT + ": " + name + " " + value + " is not supported, only " + wanted);
        }
    }

    /** A flag this block supports only off. */
    private static void flag(JsonObject root, String name) {
        JsonElement value = root.get(name);
        if (value != null
                && !value.isJsonNull()
                && !(value.isJsonPrimitive() && value.getAsJsonPrimitive().isBoolean() && !value.getAsBoolean())) {
            throw new IllegalArgumentException(WHAT + ": " + name + " " + value + " is not supported, only false");
        }
    }

    private static void require(boolean ok, String name, Object value) {
        if (!ok) {
            throw new IllegalArgumentException("invalid BERT " + name + ": " + value);
        }
    }
}
