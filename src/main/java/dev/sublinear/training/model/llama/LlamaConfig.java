package dev.sublinear.training.model.llama;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.sublinear.training.model.ConfigJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The fields of a Hugging Face llama, qwen2 or qwen3 {@code config.json} that the forward depends on,
 * with the options each family fixes resolved into flags. Defaults and the options each family reads
 * follow transformers' {@code models/llama/configuration_llama.py} ({@code LlamaConfig}), {@code
 * models/qwen2/configuration_qwen2.py} ({@code Qwen2Config}) and {@code
 * models/qwen3/configuration_qwen3.py} ({@code Qwen3Config}); the llama3 rope type follows {@code
 * modeling_rope_utils.py}'s {@code _compute_llama3_parameters}.
 *
 * @param modelType {@code model_type}: llama, qwen2 or qwen3
 * @param vocabSize {@code vocab_size}
 * @param hiddenSize {@code hidden_size}
 * @param intermediateSize {@code intermediate_size}, the MLP's hidden size
 * @param numHiddenLayers {@code num_hidden_layers}
 * @param numAttentionHeads {@code num_attention_heads}
 * @param numKeyValueHeads {@code num_key_value_heads} (divides num_attention_heads); absent: llama
 *     num_attention_heads, qwen2 and qwen3 32 (their config classes' default)
 * @param headDim {@code head_dim}; absent: llama and qwen2 hidden_size / num_attention_heads, qwen3 128
 *     (Qwen3Config's default)
 * @param rmsNormEps {@code rms_norm_eps}
 * @param ropeTheta {@code rope_theta}, the base of the rotary frequencies
 * @param qkvBias whether q_proj, k_proj and v_proj have biases (qwen2: always; else attention_bias)
 * @param oBias whether o_proj has a bias (qwen2: never; else attention_bias)
 * @param mlpBias whether gate_proj, up_proj and down_proj have biases (llama's mlp_bias)
 * @param qkNorm whether each head of q and k is RMS-normalised (qwen3's q_norm and k_norm)
 * @param tieWordEmbeddings {@code tie_word_embeddings}: the LM head is embed_tokens
 * @param llama3Scaling the {@code llama3} {@code rope_scaling} (Llama 3.1 and later), or null for the
 *     default RoPE
 * @param maxPositionEmbeddings {@code max_position_embeddings}, the longest sequence the model was
 *     trained for
 * @param padTokenId {@code pad_token_id} as an index into the vocabulary, or -1 for none: the {@code
 *     padding_idx} of transformers' {@code nn.Embedding}, whose row gets no gradient from the lookup
 */
public record LlamaConfig(
        String modelType,
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numKeyValueHeads,
        int headDim,
        double rmsNormEps,
        double ropeTheta,
        boolean qkvBias,
        boolean oBias,
        boolean mlpBias,
        boolean qkNorm,
        boolean tieWordEmbeddings,
        Llama3Scaling llama3Scaling,
        int maxPositionEmbeddings,
        int padTokenId) {

    /**
     * The {@code llama3} rope type, as transformers' {@code _compute_llama3_parameters} applies it:
     * with wavelength 2 pi / inv_freq, frequencies whose wavelength exceeds original / low_freq_factor
     * are divided by factor, those below original / high_freq_factor kept, and those between
     * interpolated with s = (original / wavelength - low) / (high - low): (1 - s) inv_freq / factor +
     * s inv_freq. Its attention factor is 1.
     */
    public record Llama3Scaling(
            double factor, double lowFreqFactor, double highFreqFactor, double originalMaxPositionEmbeddings) {

        public Llama3Scaling {
            require(factor > 0, "rope_scaling.factor", factor);
            require(
                    lowFreqFactor > 0 && highFreqFactor > lowFreqFactor,
                    "rope_scaling low_freq_factor/high_freq_factor",
                    lowFreqFactor + "/" + highFreqFactor);
            require(
                    originalMaxPositionEmbeddings > 0,
                    "rope_scaling.original_max_position_embeddings",
                    originalMaxPositionEmbeddings);
        }

        /** The scaled inverse frequency of one rotary pair. */
        public double scale(double invFreq) {
            double wavelength = 2 * Math.PI / invFreq;
            if (wavelength < originalMaxPositionEmbeddings / highFreqFactor) {
                return invFreq;
            }
            if (wavelength > originalMaxPositionEmbeddings / lowFreqFactor) {
                return invFreq / factor;
            }
            double smooth =
                    (originalMaxPositionEmbeddings / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
            return (1 - smooth) * invFreq / factor + smooth * invFreq;
        }
    }

    /** The model types this block computes. */
    public static final List<String> MODEL_TYPES = List.of("llama", "qwen2", "qwen3");

    /** transformers' defaults when a config omits max_position_embeddings. */
    private static final Map<String, Integer> DEFAULT_MAX_POSITIONS =
            Map.of("llama", 2048, "qwen2", 32768, "qwen3", 32768);

    /** Qwen2Config's and Qwen3Config's num_key_value_heads default (LlamaConfig's is num_attention_heads). */
    private static final int QWEN_DEFAULT_KV_HEADS = 32;

    /** Qwen3Config's head_dim default (LlamaConfig's and Qwen2's are hidden_size / num_attention_heads). */
    private static final int QWEN3_DEFAULT_HEAD_DIM = 128;

    private static final List<String> LLAMA3_KEYS = List.of(
            "rope_type",
            "type",
            "rope_theta",
            "factor",
            "low_freq_factor",
            "high_freq_factor",
            "original_max_position_embeddings");

    public LlamaConfig {
        require(MODEL_TYPES.contains(modelType), "model_type", modelType);
        require(vocabSize > 0, "vocab_size", vocabSize);
        require(hiddenSize > 0, "hidden_size", hiddenSize);
        require(intermediateSize > 0, "intermediate_size", intermediateSize);
        require(numHiddenLayers > 0, "num_hidden_layers", numHiddenLayers);
        require(
                numAttentionHeads > 0 && numKeyValueHeads > 0 && numAttentionHeads % numKeyValueHeads == 0,
                "num_attention_heads/num_key_value_heads",
                numAttentionHeads + "/" + numKeyValueHeads);
        require(headDim > 0 && headDim % 2 == 0, "head_dim (even, for RoPE)", headDim);
        require(rmsNormEps > 0, "rms_norm_eps", rmsNormEps);
        require(ropeTheta > 0, "rope_theta", ropeTheta);
        require(maxPositionEmbeddings > 1, "max_position_embeddings", maxPositionEmbeddings);
        require(padTokenId >= -1 && padTokenId < vocabSize, "pad_token_id", padTokenId);
    }

    /** Reads {@code config.json}; see {@link #parse(String)}. */
    public static LlamaConfig read(Path file) throws IOException {
        return parse(Files.readString(file));
    }

    /**
     * Parses a Hugging Face llama, qwen2 or qwen3 config. {@code model_type}, {@code vocab_size},
     * {@code hidden_size}, {@code intermediate_size}, {@code num_hidden_layers} and {@code
     * num_attention_heads} are required; the rest default as in transformers' config classes: {@code
     * max_position_embeddings} to 2048 (llama) or 32768 (qwen2, qwen3), {@code
     * num_key_value_heads} to num_attention_heads (llama) or 32 (qwen2, qwen3), {@code head_dim} to
     * hidden_size / num_attention_heads (llama, qwen2) or 128 (qwen3), {@code rms_norm_eps} to 1e-6,
     * {@code rope_theta} to 10000, {@code attention_bias}, {@code mlp_bias} and {@code
     * tie_word_embeddings} to false, {@code pad_token_id} to none (a negative one counts from the end
     * of the vocabulary, as nn.Embedding's padding_idx does). What this block does
     * not compute is refused rather than silently computed differently: a {@code hidden_act} other
     * than silu, a {@code rope_scaling} or {@code rope_parameters} of another type than default and
     * llama3 (linear, dynamic, yarn, longrope...) or with fields that type does not read, {@code
     * use_sliding_window} true, {@code
     * pretraining_tp} other than 1, and biases in a family that has none (mlp_bias outside llama,
     * attention_bias in qwen2, whose q/k/v biases are fixed).
     */
    public static LlamaConfig parse(String json) {
        JsonObject root = ConfigJson.object(json, "llama config");
        JsonElement type = root.get("model_type");
        if (type == null || !type.isJsonPrimitive() || !MODEL_TYPES.contains(type.getAsString())) {
            throw new IllegalArgumentException(
                    "llama config: model_type " + type + " is not supported, only " + MODEL_TYPES);
        }
        String modelType = type.getAsString();
        JsonElement act = root.get("hidden_act");
        if (act != null && !(act.isJsonPrimitive() && "silu".equals(act.getAsString()))) {
            throw new IllegalArgumentException("llama config: hidden_act " + act + " is not supported, only silu");
        }
        double ropeTheta = present(root, "rope_theta") ? number(root, "rope_theta") : 10000;
        Llama3Scaling scaling = null;
        for (String field : List.of("rope_scaling", "rope_parameters")) {
            // rope_parameters: newer transformers keep rope_theta and the rope type here
            if (!present(root, field)) {
                continue;
            }
            if (!root.get(field).isJsonObject()) {
                throw new IllegalArgumentException("llama config: " + field + " is not an object: " + root.get(field));
            }
            JsonObject rope = root.getAsJsonObject(field);
            JsonElement ropeType = rope.has("rope_type") ? rope.get("rope_type") : rope.get("type");
            String kind = ropeType == null || ropeType.isJsonNull() ? "default" : ropeType.getAsString();
            List<String> keys = kind.equals("llama3") ? LLAMA3_KEYS : List.of("rope_type", "type", "rope_theta");
            if (!kind.equals("default") && !kind.equals("llama3")) {
                throw new IllegalArgumentException(
                        "llama config: " + field + " type " + ropeType + " is not supported, only default and llama3");
            }
            for (String key : rope.keySet()) {
                if (!keys.contains(key)) {
                    throw new IllegalArgumentException(
                            "llama config: " + field + "." + key + " is not supported for rope type " + kind);
                }
            }
            if (present(rope, "rope_theta")) {
                ropeTheta = number(rope, "rope_theta");
            }
            if (kind.equals("llama3")) {
                try {
                    scaling = new Llama3Scaling(
                            number(rope, "factor"),
                            number(rope, "low_freq_factor"),
                            number(rope, "high_freq_factor"),
                            number(rope, "original_max_position_embeddings"));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("llama config: " + field + ": " + e.getMessage(), e);
                }
            }
        }
        if (flag(root, "use_sliding_window", false)) {
            throw new IllegalArgumentException("llama config: use_sliding_window true is not supported");
        }
        if (present(root, "pretraining_tp") && integer(root, "pretraining_tp") != 1) {
            throw new IllegalArgumentException(
                    "llama config: pretraining_tp " + root.get("pretraining_tp") + " is not supported, only 1");
        }
        boolean attentionBias = flag(root, "attention_bias", false);
        boolean mlpBias = flag(root, "mlp_bias", false);
        if (mlpBias && !modelType.equals("llama")) {
            throw new IllegalArgumentException("llama config: mlp_bias true is not supported for " + modelType);
        }
        if (present(root, "attention_bias") && modelType.equals("qwen2")) {
            throw new IllegalArgumentException(
                    "llama config: qwen2 fixes its attention biases (q/k/v on, o off); attention_bias is refused");
        }
        boolean qwen2 = modelType.equals("qwen2");
        boolean llama = modelType.equals("llama");
        int hiddenSize = integer(root, "hidden_size");
        int heads = integer(root, "num_attention_heads");
        int headDim;
        if (present(root, "head_dim")) {
            headDim = integer(root, "head_dim");
        } else if (modelType.equals("qwen3")) {
            headDim = QWEN3_DEFAULT_HEAD_DIM;
        } else if (heads <= 0 || hiddenSize % heads != 0) {
            throw new IllegalArgumentException("invalid llama hidden_size/num_attention_heads: " + hiddenSize + "/"
                    + heads + " (and no head_dim)");
        } else {
            headDim = hiddenSize / heads;
        }
        int vocabSize = integer(root, "vocab_size");
        int padTokenId = -1;
        if (present(root, "pad_token_id")) {
            int pad = integer(root, "pad_token_id");
            if (pad < -vocabSize || pad >= vocabSize) {
                throw new IllegalArgumentException(
                        "llama config: pad_token_id " + pad + " is outside the vocabulary of " + vocabSize);
            }
            padTokenId = pad < 0 ? vocabSize + pad : pad;
        }
        return new LlamaConfig(
                modelType,
                vocabSize,
                hiddenSize,
                integer(root, "intermediate_size"),
                integer(root, "num_hidden_layers"),
                heads,
                present(root, "num_key_value_heads")
                        ? integer(root, "num_key_value_heads")
                        : llama ? heads : QWEN_DEFAULT_KV_HEADS,
                headDim,
                present(root, "rms_norm_eps") ? number(root, "rms_norm_eps") : 1e-6,
                ropeTheta,
                qwen2 || attentionBias,
                !qwen2 && attentionBias,
                mlpBias,
                modelType.equals("qwen3"),
                flag(root, "tie_word_embeddings", false),
                scaling,
                present(root, "max_position_embeddings")
                        ? integer(root, "max_position_embeddings")
                        : DEFAULT_MAX_POSITIONS.get(modelType),
                padTokenId);
    }

    private static boolean present(JsonObject root, String name) {
        JsonElement value = root.get(name);
        return value != null && !value.isJsonNull();
    }

    private static int integer(JsonObject root, String name) {
        return ConfigJson.integer(root, name, "llama config");
    }

    private static double number(JsonObject root, String name) {
        return ConfigJson.number(root, name, "llama config");
    }

    private static boolean flag(JsonObject root, String name, boolean absent) {
        JsonElement value = root.get(name);
        if (value == null || value.isJsonNull()) {
            return absent;
        }
        if (!value.isJsonPrimitive() || !value.getAsJsonPrimitive().isBoolean()) {
            throw new IllegalArgumentException("llama config: " + name + " is not a boolean: " + value);
        }
        return value.getAsBoolean();
    }

    private static void require(boolean ok, String name, Object value) {
        if (!ok) {
            throw new IllegalArgumentException("invalid llama " + name + ": " + value);
        }
    }
}
