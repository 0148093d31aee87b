package dev.sublinear.training.model;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.nn.Block;
import dev.sublinear.testing.TinyHfModels;
import dev.sublinear.training.data.TaskType;
import dev.sublinear.training.weights.SafetensorsReader;
import dev.sublinear.training.weights.WeightType;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Each family's names in the kind a reader of its modelling code would give them (written out here
 * from transformers' state dicts and the catalog's block paths), and no name of a real model falls
 * through to {@code other}.
 */
class ParameterKindTest {

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        // catalog models: DJL block paths
        "01decoder_token_embedding, EMBEDDINGS",
        "01decoder_position_embedding, EMBEDDINGS",
        "01decoder_01layer0_01attention_norm_gamma, NORMS_AND_BIASES",
        "01decoder_01layer0_01attention_norm_beta, NORMS_AND_BIASES",
        "01decoder_01layer0_02attention_01qkv_weight, ATTENTION",
        "01decoder_01layer0_02attention_01qkv_bias, NORMS_AND_BIASES",
        "01decoder_01layer0_02attention_02out_weight, ATTENTION",
        "01decoder_01layer0_04mlp_in_weight, MLP",
        "01decoder_01layer0_05mlp_out_weight, MLP",
        "01decoder_01layer0_05mlp_out_bias, NORMS_AND_BIASES",
        "01decoder_03final_norm_gamma, NORMS_AND_BIASES",
        "02lm_head_weight, HEAD",
        "02classifier_head_weight, HEAD",
        "02classifier_head_bias, NORMS_AND_BIASES",
        // GPT-2
        "transformer.wte.weight, EMBEDDINGS",
        "transformer.wpe.weight, EMBEDDINGS",
        "transformer.h.0.ln_1.weight, NORMS_AND_BIASES",
        "transformer.h.0.attn.c_attn.weight, ATTENTION",
        "transformer.h.0.attn.c_proj.weight, ATTENTION",
        "transformer.h.0.attn.c_proj.bias, NORMS_AND_BIASES",
        "transformer.h.0.mlp.c_fc.weight, MLP",
        "transformer.h.0.mlp.c_proj.weight, MLP",
        "transformer.ln_f.weight, NORMS_AND_BIASES",
        // llama, qwen2, qwen3
        "model.embed_tokens.weight, EMBEDDINGS",
        "model.layers.0.self_attn.q_proj.weight, ATTENTION",
        "model.layers.0.self_attn.k_proj.bias, NORMS_AND_BIASES",
        "model.layers.0.self_attn.o_proj.weight, ATTENTION",
        "model.layers.0.self_attn.q_norm.weight, NORMS_AND_BIASES",
        "model.layers.0.mlp.gate_proj.weight, MLP",
        "model.layers.0.mlp.down_proj.weight, MLP",
        "model.layers.0.input_layernorm.weight, NORMS_AND_BIASES",
        "model.layers.0.post_attention_layernorm.weight, NORMS_AND_BIASES",
        "model.norm.weight, NORMS_AND_BIASES",
        "lm_head.weight, HEAD",
        // BERT
        "bert.embeddings.word_embeddings.weight, EMBEDDINGS",
        "bert.embeddings.token_type_embeddings.weight, EMBEDDINGS",
        "bert.embeddings.LayerNorm.weight, NORMS_AND_BIASES",
        "bert.encoder.layer.0.attention.self.query.weight, ATTENTION",
        "bert.encoder.layer.0.attention.output.dense.weight, ATTENTION",
        "bert.encoder.layer.0.attention.output.LayerNorm.weight, NORMS_AND_BIASES",
        "bert.encoder.layer.0.intermediate.dense.weight, MLP",
        "bert.encoder.layer.0.output.dense.weight, MLP",
        "bert.pooler.dense.weight, HEAD",
        "classifier.weight, HEAD",
        // nothing known
        "frobnicator.weight, OTHER"
    })
    void aNameHasTheKindItsModelGivesIt(String name, ParameterKind kind) {
        assertThat(ParameterKind.of(name)).isEqualTo(kind);
    }

    @Test
    void everyParameterOfTheCatalogAndTheTinyHuggingFaceModelsHasAKnownKind() throws Exception {
        for (String name : ModelCatalog.names()) {
            ModelConfig config = ModelCatalog.get(name, List.of("a", "b")).orElseThrow();
            Block block = config.task() == TaskType.CLASSIFICATION
                    ? new TransformerClassifier(config)
                    : new TransformerLanguageModel(config);
            for (String parameter : block.getParameters().keys()) {
                assertThat(ParameterKind.of(parameter)).as(parameter).isNotEqualTo(ParameterKind.OTHER);
            }
        }
        List<Path> models = List.of(
                TinyHfModels.gpt2(dir.resolve("gpt2"), WeightType.F32, 1),
                TinyHfModels.llama(dir.resolve("llama"), "llama", WeightType.F32, 2),
                TinyHfModels.llama(dir.resolve("qwen3"), "qwen3", WeightType.F32, 3),
                TinyHfModels.bert(dir.resolve("bert"), 4));
        for (Path model : models) {
            try (SafetensorsReader weights = SafetensorsReader.open(model)) {
                for (String parameter : weights.names()) {
                    assertThat(ParameterKind.of(parameter)).as(parameter).isNotEqualTo(ParameterKind.OTHER);
                }
            }
        }
    }
}
