package dev.sublinear.training.model.gpt2;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.sublinear.training.model.ConfigJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The fields of a Hugging Face GPT-2 {@code config.json} that the forward depends on, under their
 * Hugging Face names. Defaults and refusals follow transformers' {@code
 * models/gpt2/configuration_gpt2.py} ({@code GPT2Config}).
 *
 * @param vocabSize {@code vocab_size}
 * @param nPositions {@code n_positions}, the longest sequence (rows of {@code wpe})
 * @param nEmbd {@code n_embd}, the hidden size
 * @param nLayer {@code n_layer}, the number of blocks
 * @param nHead {@code n_head}, attention heads (divides {@code n_embd})
 * @param nInner {@code n_inner}, the MLP's hidden size ({@code null} in the file means 4 * n_embd)
 * @param layerNormEpsilon {@code layer_norm_epsilon}
 */
public record Gpt2Config(
        int vocabSize, int nPositions, int nEmbd, int nLayer, int nHead, int nInner, double layerNormEpsilon) {

    public Gpt2Config {
        require(vocabSize > 0, "vocab_size", vocabSize);
        require(nPositions > 0, "n_positions", nPositions);
        require(nLayer > 0, "n_layer", nLayer);
        require(nEmbd > 0 && nHead > 0 && nEmbd % nHead == 0, "n_embd/n_head", nEmbd + "/" + nHead);
        require(nInner > 0, "n_inner", nInner);
        require(layerNormEpsilon > 0, "layer_norm_epsilon", layerNormEpsilon);
    }

    /** Width of one attention head. */
    public int headDim() {
        return nEmbd / nHead;
    }

    /** Reads {@code config.json}; see {@link #parse(String)}. */
    public static Gpt2Config read(Path file) throws IOException {
        return parse(Files.readString(file));
    }

    /**
     * Parses a Hugging Face GPT-2 config. {@code n_embd}, {@code n_layer}, {@code n_head}, {@code
     * n_positions} and {@code vocab_size} are required; {@code n_inner} defaults to 4 * n_embd and
     * {@code layer_norm_epsilon} to 1e-5, as in transformers. A {@code model_type} other than gpt2,
     * an {@code activation_function} other than gelu_new, or the attention variants this block does
     * not implement ({@code scale_attn_by_inverse_layer_idx}, {@code reorder_and_upcast_attn} true,
     * {@code scale_attn_weights} false), and {@code tie_word_embeddings} false (an untied head) are
     * refused rather than silently computed differently.
     */
    public static Gpt2Config parse(String json) {
        JsonObject root = ConfigJson.object(json, "GPT-2 config");
        expect(root, "model_type", "gpt2");
        expect(root, "activation_function", "gelu_new");
        flag(root, "scale_attn_weights", true);
        flag(root, "scale_attn_by_inverse_layer_idx", false);
        flag(root, "reorder_and_upcast_attn", false);
        // GPT2Config ties by default; false gives GPT2LMHeadModel a head of its own, which this block lacks
        flag(root, "tie_word_embeddings", true);
        int nEmbd = integer(root, "n_embd");
        JsonElement inner = root.get("n_inner");
        int nInner = inner == null || inner.isJsonNull() ? 4 * nEmbd : integer(root, "n_inner");
        JsonElement epsilon = root.get("layer_norm_epsilon");
        double eps = epsilon == null || epsilon.isJsonNull() ? 1e-5 : number(root, "layer_norm_epsilon");
        return new Gpt2Config(
                integer(root, "vocab_size"),
                integer(root, "n_positions"),
                nEmbd,
                integer(root, "n_layer"),
                integer(root, "n_head"),
                nInner,
                eps);
    }

    private static int integer(JsonObject root, String name) {
        return ConfigJson.integer(root, name, "GPT-2 config");
    }

    private static double number(JsonObject root, String name) {
        return ConfigJson.number(root, name, "GPT-2 config");
    }

    private static void expect(JsonObject root, String name, String wanted) {
        JsonElement value = root.get(name);
        if (value != null && !(value.isJsonPrimitive() && wanted.equals(value.getAsString()))) {
            throw new IllegalArgumentException(
                    "GPT-2 config: " + name + " " + value + " is not supported, only " + wanted);
        }
    }

    private static void flag(JsonObject root, String name, boolean supported) {
        JsonElement value = root.get(name);
        if (value != null
                && !value.isJsonNull()
                && !(value.isJsonPrimitive()
                        && value.getAsJsonPrimitive().isBoolean()
                        && value.getAsBoolean() == supported)) {
            throw new IllegalArgumentException(
                    "GPT-2 config: " + name + " " + value + " is not supported, only " + supported);
        }
    }

    private static void require(boolean ok, String name, Object value) {
        if (!ok) {
            throw new IllegalArgumentException("invalid GPT-2 " + name + ": " + value);
        }
    }
}
