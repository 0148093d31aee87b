package dev.sublinear.training.model;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import dev.sublinear.training.data.TaskType;
import dev.sublinear.training.model.bert.BertConfig;
import dev.sublinear.training.model.bert.BertForSequenceClassification;
import dev.sublinear.training.model.gpt2.Gpt2Config;
import dev.sublinear.training.model.gpt2.Gpt2LMHeadModel;
import dev.sublinear.training.model.llama.LlamaConfig;
import dev.sublinear.training.model.llama.LlamaForCausalLM;
import dev.sublinear.training.tokenizer.HfTokenizer;
import java.util.Arrays;
import java.util.List;

/**
 * The Hugging Face architectures this service trains, by the {@code model_type} of their {@code
 * config.json}: which block computes each, what it is for, and its sizes in the terms of {@link
 * ModelConfig} (for memory estimates and context checks).
 */
public enum PretrainedFamily {
    GPT2("gpt2", "GPT2LMHeadModel"),
    LLAMA("llama", "LlamaForCausalLM"),
    QWEN2("qwen2", "Qwen2ForCausalLM"),
    QWEN3("qwen3", "Qwen3ForCausalLM"),
    BERT("bert", "BertForSequenceClassification");

    private final String modelType;
    private final String architecture;

    PretrainedFamily(String modelType, String architecture) {
        this.modelType = modelType;
        this.architecture = architecture;
    }

    /** The {@code model_type} of the family's configs. */
    public String modelType() {
        return modelType;
    }

    /** The transformers class that loads the family's fine-tuned models, for {@code architectures}. */
    public String architecture() {
        return architecture;
    }

    /** Every supported {@code model_type}. */
    public static List<String> modelTypes() {
        return Arrays.stream(values()).map(PretrainedFamily::modelType).toList();
    }

    /** Whether {@code configJson} is a Hugging Face config (it has a {@code model_type}), not one of ours. */
    public static boolean isPretrained(String configJson) {
        try {
            return ConfigJson.object(configJson, "config.json").has("model_type");
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * The family of a {@code config.json}.
     *
     * @throws IllegalArgumentException naming the model type and the supported ones
     */
    public static PretrainedFamily of(String configJson) {
        JsonElement type = ConfigJson.object(configJson, "config.json").get("model_type");
        for (PretrainedFamily family : values()) {
            if (type != null && type.isJsonPrimitive() && family.modelType.equals(type.getAsString())) {
                return family;
            }
        }
        throw new IllegalArgumentException(
                "model_type " + (type == null ? "is missing" : type) + "; supported model types are " + modelTypes());
    }

    /**
     * A new block of {@code configJson}'s architecture, its parameters not yet set.
     *
     * @throws IllegalArgumentException what in the config the block cannot compute
     */
    public PretrainedBlock block(String configJson) {
        return block(configJson, false);
    }

    /**
     * As {@link #block(String)}; a classifier with {@code newHead} ignores its checkpoint's head and
     * starts a new one (its labels are not the checkpoint's).
     */
    public PretrainedBlock block(String configJson, boolean newHead) {
        return switch (this) {
            case GPT2 -> new Gpt2LMHeadModel(Gpt2Config.parse(configJson));
            case LLAMA, QWEN2, QWEN3 -> new LlamaForCausalLM(LlamaConfig.parse(configJson));
            case BERT -> new BertForSequenceClassification(BertConfig.parse(configJson), newHead);
        };
    }

    /** What the family's models do. */
    public TaskType task() {
        return this == BERT ? TaskType.CLASSIFICATION : TaskType.CAUSAL_LM;
    }

    /** The sizes of {@code configJson}'s model, as a {@link ModelConfig} with the Hugging Face tokenizer. */
    public ModelConfig summary(String configJson) {
        return switch (this) {
            case GPT2 -> {
                Gpt2Config c = Gpt2Config.parse(configJson);
                yield new ModelConfig(
                        TaskType.CAUSAL_LM,
                        HfTokenizer.TYPE,
                        c.vocabSize(),
                        c.nPositions(),
                        c.nLayer(),
                        c.nEmbd(),
                        c.nHead(),
                        c.nInner(),
                        List.of());
            }
            case LLAMA, QWEN2, QWEN3 -> {
                LlamaConfig c = LlamaConfig.parse(configJson);
                // attention width in heads of head_dim: hidden_size need not be heads × head_dim (qwen3)
                yield new ModelConfig(
                        TaskType.CAUSAL_LM,
                        HfTokenizer.TYPE,
                        c.vocabSize(),
                        c.maxPositionEmbeddings(),
                        c.numHiddenLayers(),
                        c.numAttentionHeads() * c.headDim(),
                        c.numAttentionHeads(),
                        c.intermediateSize(),
                        List.of());
            }
            case BERT -> {
                BertConfig c = BertConfig.parse(configJson);
                yield new ModelConfig(
                        TaskType.CLASSIFICATION,
                        HfTokenizer.TYPE,
                        c.vocabSize(),
                        c.maxPositionEmbeddings(),
                        c.numHiddenLayers(),
                        c.hiddenSize(),
                        c.numAttentionHeads(),
                        c.intermediateSize(),
                        c.labels().size() >= 2 ? c.labels() : List.of("LABEL_0", "LABEL_1"));
            }
        };
    }

    /** {@code configJson}'s top-level object. */
    static JsonObject object(String configJson) {
        return ConfigJson.object(configJson, "config.json");
    }
}
