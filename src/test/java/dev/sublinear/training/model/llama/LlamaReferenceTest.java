package dev.sublinear.training.model.llama;

import static dev.sublinear.testing.TorchReference.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.Pair;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.sublinear.testing.TorchReference;
import dev.sublinear.training.weights.SafetensorsReader;
import dev.sublinear.training.weights.SafetensorsWriter;
import dev.sublinear.training.weights.WeightType;
import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The llama-family block against torch: {@code src/test/python/llama_reference.py} writes a tiny
 * random llama (untied, every optional bias), qwen2 (tied, q/k/v biases) and qwen3 (untied, head_dim
 * 16 not hidden/heads, q_norm and k_norm), each as config.json and model.safetensors under the Hugging
 * Face names, with the log-probabilities of its own hand-written float32 implementation of
 * transformers' forwards. Needs Debian's {@code /usr/bin/python3} with {@code python3-torch}; without
 * it the test fails, as CI installs it.
 */
class LlamaReferenceTest {

    private static final Path SCRIPT = Path.of("src/test/python/llama_reference.py");
    private static final double TOLERANCE = 1e-4;

    @TempDir
    static Path reference;

    @BeforeAll
    static void writeReference() throws Exception {
        TorchReference.run("llama", SCRIPT, reference.toString());
    }

    @Test
    void llamaMatchesTorch() throws IOException {
        LlamaConfig config = config("llama");
        assertEquals(
                new LlamaConfig(
                        "llama", 100, 32, 64, 2, 4, 2, 8, 1e-6, 500, true, true, true, false, false, null, 64, -1),
                config);
        assertLogProbabilitiesMatch("llama");
    }

    @Test
    void qwen2MatchesTorch() throws IOException {
        LlamaConfig config = config("qwen2");
        assertEquals(
                new LlamaConfig(
                        "qwen2", 100, 32, 64, 2, 4, 2, 8, 1e-5, 10000, true, false, false, false, true, null, 64, -1),
                config);
        assertLogProbabilitiesMatch("qwen2");
    }

    @Test
    void qwen3MatchesTorch() throws IOException {
        LlamaConfig config = config("qwen3");
        assertEquals(
                new LlamaConfig(
                        "qwen3", 100, 32, 64, 2, 4, 2, 16, 1e-6, 1e6, false, false, false, true, false, null, 64, -1),
                config);
        assertLogProbabilitiesMatch("qwen3");
    }

    @Test
    void llama3RopeScalingMatchesTorch() throws IOException {
        LlamaConfig config = config("llama3");
        assertEquals(new LlamaConfig.Llama3Scaling(8, 1, 4, 256), config.llama3Scaling());
        // head_dim 8, theta 500: wavelengths 6.3 and 30 kept, 140 smoothed, 664 divided by 8
        double[] invFreq = {1, Math.pow(500, -0.25), Math.pow(500, -0.5), Math.pow(500, -0.75)};
        assertEquals(invFreq[0], config.llama3Scaling().scale(invFreq[0]));
        assertEquals(invFreq[1], config.llama3Scaling().scale(invFreq[1]));
        assertEquals(invFreq[3] / 8, config.llama3Scaling().scale(invFreq[3]));
        double smoothed = config.llama3Scaling().scale(invFreq[2]);
        assertTrue(smoothed > invFreq[2] / 8 && smoothed < invFreq[2], "interpolated: " + smoothed);
        assertLogProbabilitiesMatch("llama3");
    }

    @Test
    void everyHuggingFaceNameIsAParameterOnceWithTheConfigsShape() throws IOException {
        for (String type : LlamaConfig.MODEL_TYPES) {
            LlamaForCausalLM model = new LlamaForCausalLM(config(type));
            List<String> djlNames = new ArrayList<>();
            for (Pair<String, Parameter> parameter : model.getParameters()) {
                djlNames.add(parameter.getValue().getName());
            }
            assertEquals(List.copyOf(model.hfParameters().keySet()), djlNames, type);
            try (SafetensorsReader reader = SafetensorsReader.open(reference.resolve(type + "/model.safetensors"))) {
                assertEquals(Set.copyOf(reader.names()), model.hfShapes().keySet(), type);
                for (String name : reader.names()) {
                    assertEquals(
                            new Shape(reader.tensor(name).shape()),
                            model.hfShapes().get(name),
                            name);
                }
            }
        }
        Map<String, Shape> llama = new LlamaForCausalLM(config("llama")).hfShapes();
        assertEquals(new Shape(32, 32), llama.get("model.layers.0.self_attn.q_proj.weight"));
        assertEquals(new Shape(16, 32), llama.get("model.layers.1.self_attn.k_proj.weight"));
        assertEquals(new Shape(32), llama.get("model.layers.1.self_attn.o_proj.bias"));
        assertEquals(new Shape(64), llama.get("model.layers.0.mlp.up_proj.bias"));
        assertEquals(new Shape(100, 32), llama.get("lm_head.weight"));
        Map<String, Shape> qwen2 = new LlamaForCausalLM(config("qwen2")).hfShapes();
        assertEquals(new Shape(16), qwen2.get("model.layers.0.self_attn.v_proj.bias"));
        assertNull(qwen2.get("model.layers.0.self_attn.o_proj.bias"));
        assertNull(qwen2.get("lm_head.weight"), "tied: no head of its own");
        Map<String, Shape> qwen3 = new LlamaForCausalLM(config("qwen3")).hfShapes();
        assertEquals(new Shape(64, 32), qwen3.get("model.layers.0.self_attn.q_proj.weight"));
        assertEquals(new Shape(32, 64), qwen3.get("model.layers.0.self_attn.o_proj.weight"));
        assertEquals(new Shape(16), qwen3.get("model.layers.1.self_attn.k_norm.weight"));
        assertNull(qwen3.get("model.layers.0.self_attn.q_proj.bias"));
        try (NDManager manager = NDManager.newBaseManager()) {
            LlamaForCausalLM model = new LlamaForCausalLM(config("qwen3"));
            model.initialize(manager, DataType.FLOAT32, new Shape(1, 4));
            for (Map.Entry<String, Parameter> entry : model.hfParameters().entrySet()) {
                assertEquals(
                        qwen3.get(entry.getKey()), entry.getValue().getArray().getShape(), entry.getKey());
            }
        }
    }

    @Test
    void refusesMissingExtraAndMisshapedWeightsNamingTheKey() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> weights = weights(manager, "qwen3");
            Map<String, NDArray> missing = new LinkedHashMap<>(weights);
            missing.remove("model.layers.1.self_attn.k_norm.weight");
            assertRefused(manager, "qwen3", missing, "missing [model.layers.1.self_attn.k_norm.weight]");

            Map<String, NDArray> extra = new LinkedHashMap<>(weights);
            extra.put("model.layers.0.self_attn.q_proj.bias", manager.zeros(new Shape(64)));
            assertRefused(manager, "qwen3", extra, "unexpected [model.layers.0.self_attn.q_proj.bias]");

            Map<String, NDArray> misshaped = new LinkedHashMap<>(weights);
            misshaped.put("model.layers.0.self_attn.q_proj.weight", manager.zeros(new Shape(32, 32)));
            assertRefused(manager, "qwen3", misshaped, "model.layers.0.self_attn.q_proj.weight has shape (32, 32)");

            // a Conv1D-style (in, out) weight is refused, not silently transposed
            Map<String, NDArray> transposed = new LinkedHashMap<>(weights);
            transposed.put("model.layers.0.mlp.gate_proj.weight", manager.zeros(new Shape(32, 64)));
            assertRefused(manager, "qwen3", transposed, "model.layers.0.mlp.gate_proj.weight has shape (32, 64)");

            // qwen2 ties its head: an lm_head.weight is unexpected
            Map<String, NDArray> head = new LinkedHashMap<>(weights(manager, "qwen2"));
            head.put("lm_head.weight", head.get("model.embed_tokens.weight"));
            assertRefused(manager, "qwen2", head, "unexpected [lm_head.weight]");

            Map<String, NDArray> noBias = new LinkedHashMap<>(weights(manager, "llama"));
            noBias.remove("model.layers.0.mlp.down_proj.bias");
            assertRefused(manager, "llama", noBias, "missing [model.layers.0.mlp.down_proj.bias]");

            LlamaForCausalLM model = new LlamaForCausalLM(config("qwen3"));
            model.loadWeights(manager, weights);
            double diff = maxAbsDiff(expectedLogProbs("qwen3"), logProbs(manager, model, "qwen3"));
            assertTrue(diff <= TOLERANCE, "max |log p - torch| = " + diff);
        }
    }

    @Test
    void loadsACheckpointWithATiedHeadWrittenTwiceAndOldRotaryBuffers() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            // qwen2 ties its head: an lm_head.weight equal to embed_tokens and the inv_freq buffers of
            // checkpoints saved before transformers 4.31 load; the result is the plain checkpoint's
            Map<String, float[]> qwen2 = floats("qwen2");
            Map<String, float[]> hub = new LinkedHashMap<>(qwen2);
            hub.put("lm_head.weight", qwen2.get("model.embed_tokens.weight"));
            hub.put("model.layers.0.self_attn.rotary_emb.inv_freq", new float[] {1, 0.1f, 0.01f, 0.001f});
            hub.put("model.layers.1.self_attn.rotary_emb.inv_freq", new float[] {1, 0.1f, 0.01f, 0.001f});
            LlamaForCausalLM model = new LlamaForCausalLM(config("qwen2"));
            try (SafetensorsReader reader = SafetensorsReader.open(write("qwen2", hub, "hub"))) {
                assertEquals(Set.of(), model.loadCheckpoint(manager, reader));
            }
            double diff = maxAbsDiff(expectedLogProbs("qwen2"), logProbs(manager, model, "qwen2"));
            assertTrue(diff <= TOLERANCE, "max |log p - torch| = " + diff);

            // a tied head that differs (by one element) is refused, naming it, and nothing is set
            Map<String, float[]> untied = new LinkedHashMap<>(qwen2);
            float[] head = qwen2.get("model.embed_tokens.weight").clone();
            head[17] += 1e-3f;
            untied.put("lm_head.weight", head);
            assertCheckpointRefused(manager, "qwen2", write("qwen2", untied, "untied"), "lm_head.weight differs");

            // every other extra name stays refused: a buffer of another name, an inv_freq outside a layer
            Map<String, float[]> stray = new LinkedHashMap<>(qwen2);
            stray.put("model.rotary_emb.inv_freq", new float[] {1, 0.1f, 0.01f, 0.001f});
            assertCheckpointRefused(
                    manager, "qwen2", write("qwen2", stray, "stray"), "unexpected [model.rotary_emb.inv_freq]");
            Map<String, float[]> missing = new LinkedHashMap<>(hub);
            missing.remove("model.embed_tokens.weight");
            assertCheckpointRefused(
                    manager, "qwen2", write("qwen2", missing, "missing"), "missing [model.embed_tokens.weight]");

            // an untied model (qwen3) needs its own lm_head.weight: missing is refused
            Map<String, float[]> qwen3 = floats("qwen3");
            qwen3.remove("lm_head.weight");
            assertCheckpointRefused(manager, "qwen3", write("qwen3", qwen3, "headless"), "missing [lm_head.weight]");
            // a misshaped tied head is refused by its shape
            Map<String, float[]> shaped = new LinkedHashMap<>(qwen2);
            shaped.put("lm_head.weight", new float[32 * 99]);
            Path file = reference.resolve("qwen2-shaped.safetensors");
            SafetensorsWriter writer = new SafetensorsWriter(WeightType.F32);
            Map<String, Shape> shapes = new LinkedHashMap<>(new LlamaForCausalLM(config("qwen2")).hfShapes());
            shapes.put("lm_head.weight", new Shape(99, 32));
            shapes.forEach((name, shape) -> writer.add(name, shape.getShape()));
            writer.writeFile(file, name -> FloatBuffer.wrap(shaped.get(name)));
            assertCheckpointRefused(manager, "qwen2", file, "lm_head.weight has shape (99, 32)");
        }
    }

    @Test
    void refusesWeightsAfterInitialization() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            LlamaForCausalLM model = new LlamaForCausalLM(config("llama"));
            model.initialize(manager, DataType.FLOAT32, new Shape(1, 4));
            Map<String, NDArray> weights = new LinkedHashMap<>();
            model.hfShapes().forEach((name, shape) -> weights.put(name, manager.zeros(shape)));
            assertThrows(IllegalStateException.class, () -> model.loadWeights(manager, weights));
        }
    }

    @Test
    void refusesConfigsItDoesNotCompute() {
        String base = "{\"model_type\": \"llama\", \"vocab_size\": 100, \"hidden_size\": 32,"
                + " \"intermediate_size\": 64, \"num_hidden_layers\": 2, \"num_attention_heads\": 4";
        LlamaConfig defaults = LlamaConfig.parse(base + "}");
        assertEquals(
                new LlamaConfig(
                        "llama", 100, 32, 64, 2, 4, 4, 8, 1e-6, 10000, false, false, false, false, false, null, 2048,
                        -1),
                defaults);
        // Qwen2Config and Qwen3Config default num_key_value_heads to 32, not num_attention_heads, and
        // Qwen3Config head_dim to 128, not hidden_size / num_attention_heads
        String qwen = "{\"vocab_size\": 100, \"hidden_size\": 32, \"intermediate_size\": 64,"
                + " \"num_hidden_layers\": 2, \"num_attention_heads\": 64";
        assertEquals(
                new LlamaConfig(
                        "qwen2", 100, 32, 64, 2, 64, 32, 8, 1e-6, 10000, true, false, false, false, false, null, 32768,
                        -1),
                LlamaConfig.parse(qwen + ", \"model_type\": \"qwen2\", \"head_dim\": 8}"));
        assertEquals(
                new LlamaConfig(
                        "qwen3", 100, 32, 64, 2, 64, 32, 128, 1e-6, 10000, false, false, false, true, false, null,
                        32768, 5),
                LlamaConfig.parse(qwen + ", \"model_type\": \"qwen3\", \"pad_token_id\": 5}"));
        assertEquals(99, LlamaConfig.parse(base + ", \"pad_token_id\": -1}").padTokenId());
        assertEquals(-1, LlamaConfig.parse(base + ", \"pad_token_id\": null}").padTokenId());
        assertEquals(
                250000.0,
                LlamaConfig.parse(base + ", \"rope_parameters\": {\"rope_type\": \"default\", \"rope_theta\": 250000}}")
                        .ropeTheta());
        LlamaConfig llama31 = LlamaConfig.parse(base + ", \"rope_theta\": 500000, \"rope_scaling\": {\"factor\": 8.0,"
                + " \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0, \"original_max_position_embeddings\": 8192,"
                + " \"rope_type\": \"llama3\"}}");
        assertEquals(new LlamaConfig.Llama3Scaling(8, 1, 4, 8192), llama31.llama3Scaling());
        for (String field : List.of(
                "\"model_type\": \"mistral\"",
                "\"hidden_act\": \"gelu\"",
                "\"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 8.0}",
                "\"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0}",
                "\"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1,"
                        + " \"high_freq_factor\": 4, \"original_max_position_embeddings\": 8192, \"beta\": 1}",
                "\"rope_scaling\": {\"type\": \"linear\", \"factor\": 2.0}",
                "\"rope_parameters\": {\"rope_type\": \"yarn\", \"rope_theta\": 10000}",
                "\"use_sliding_window\": true",
                "\"pretraining_tp\": 2",
                "\"num_key_value_heads\": 3",
                "\"pad_token_id\": 100",
                "\"head_dim\": 7")) {
            String json = base + ", " + field + "}";
            IllegalArgumentException refused =
                    assertThrows(IllegalArgumentException.class, () -> LlamaConfig.parse(json), field);
            String key = field.substring(1, field.indexOf('"', 1));
            assertTrue(refused.getMessage().contains(key), refused.getMessage());
        }
        String qwen2 = base.replace("llama", "qwen2");
        assertThrows(IllegalArgumentException.class, () -> LlamaConfig.parse(qwen2 + ", \"mlp_bias\": true}"));
        assertThrows(IllegalArgumentException.class, () -> LlamaConfig.parse(qwen2 + ", \"attention_bias\": false}"));
        IllegalArgumentException missing =
                assertThrows(IllegalArgumentException.class, () -> LlamaConfig.parse("{\"model_type\": \"qwen3\"}"));
        assertTrue(missing.getMessage().contains("is missing"), missing.getMessage());
    }

    private static void assertLogProbabilitiesMatch(String type) throws IOException {
        try (NDManager manager = NDManager.newBaseManager();
                SafetensorsReader reader = SafetensorsReader.open(reference.resolve(type + "/model.safetensors"))) {
            LlamaForCausalLM model = new LlamaForCausalLM(config(type));
            model.loadWeights(manager, reader);
            NDArray before =
                    model.hfParameters().get("model.embed_tokens.weight").getArray();
            model.initialize(manager, DataType.FLOAT32, new Shape(1, 4));
            assertTrue(
                    before
                            == model.hfParameters()
                                    .get("model.embed_tokens.weight")
                                    .getArray(),
                    "initialize keeps weights");
            double diff = maxAbsDiff(expectedLogProbs(type), logProbs(manager, model, type));
            assertTrue(diff <= TOLERANCE, type + ": max |log p - torch| = " + diff);
        }
    }

    private static float[] logProbs(NDManager manager, LlamaForCausalLM model, String type) throws IOException {
        NDArray ids = ids(manager, type);
        NDArray logits = model.forward(new ParameterStore(manager, false), new NDList(ids), false)
                .singletonOrThrow();
        assertEquals(new Shape(ids.getShape().get(0), ids.getShape().get(1), 100), logits.getShape());
        return logits.logSoftmax(-1).toFloatArray();
    }

    private static void assertRefused(NDManager manager, String type, Map<String, NDArray> weights, String message)
            throws IOException {
        LlamaForCausalLM model = new LlamaForCausalLM(config(type));
        IllegalArgumentException refused =
                assertThrows(IllegalArgumentException.class, () -> model.loadWeights(manager, weights));
        assertTrue(refused.getMessage().contains(message), refused.getMessage());
        for (Parameter parameter : model.hfParameters().values()) {
            assertTrue(!parameter.isInitialized(), "nothing is set when the weights are refused");
        }
    }

    private static void assertCheckpointRefused(NDManager manager, String type, Path file, String message)
            throws IOException {
        LlamaForCausalLM model = new LlamaForCausalLM(config(type));
        try (SafetensorsReader reader = SafetensorsReader.open(file)) {
            IllegalArgumentException refused =
                    assertThrows(IllegalArgumentException.class, () -> model.loadCheckpoint(manager, reader));
            assertTrue(refused.getMessage().contains(message), refused.getMessage());
        }
        for (Parameter parameter : model.hfParameters().values()) {
            assertTrue(!parameter.isInitialized(), "nothing is set when the checkpoint is refused");
        }
    }

    /** The reference's tensors of a model, by name, as float32 arrays. */
    private static Map<String, float[]> floats(String type) throws IOException {
        Map<String, float[]> result = new LinkedHashMap<>();
        try (SafetensorsReader reader = SafetensorsReader.open(reference.resolve(type + "/model.safetensors"))) {
            for (String name : reader.names()) {
                result.put(name, reader.readFloats(name));
            }
        }
        return result;
    }

    /** Writes {@code tensors} (shapes from the reference file, or [n] for a new name) to a new file. */
    private static Path write(String type, Map<String, float[]> tensors, String name) throws IOException {
        Map<String, Shape> shapes = new LinkedHashMap<>();
        try (SafetensorsReader reader = SafetensorsReader.open(reference.resolve(type + "/model.safetensors"))) {
            for (String tensor : reader.names()) {
                shapes.put(tensor, new Shape(reader.tensor(tensor).shape()));
            }
        }
        shapes.put("lm_head.weight", shapes.get("model.embed_tokens.weight"));
        SafetensorsWriter writer = new SafetensorsWriter(WeightType.F32);
        tensors.forEach((tensor, values) -> writer.add(
                tensor, shapes.getOrDefault(tensor, new Shape(values.length)).getShape()));
        Path file = reference.resolve(type + "-" + name + ".safetensors");
        writer.writeFile(file, tensor -> FloatBuffer.wrap(tensors.get(tensor)));
        return file;
    }

    private static LlamaConfig config(String type) throws IOException {
        return LlamaConfig.read(reference.resolve(type + "/config.json"));
    }

    private static Map<String, NDArray> weights(NDManager manager, String type) throws IOException {
        Map<String, NDArray> weights = new LinkedHashMap<>();
        try (SafetensorsReader reader = SafetensorsReader.open(reference.resolve(type + "/model.safetensors"))) {
            for (String name : reader.names()) {
                weights.put(name, reader.read(name, manager));
            }
        }
        return weights;
    }

    private static JsonObject expected(String type) throws IOException {
        return JsonParser.parseString(Files.readString(reference.resolve(type + "/expected.json")))
                .getAsJsonObject();
    }

    private static float[] expectedLogProbs(String type) throws IOException {
        JsonArray values = expected(type).getAsJsonArray("log_probs");
        float[] result = new float[values.size()];
        for (int i = 0; i < result.length; i++) {
            result[i] = values.get(i).getAsFloat();
        }
        return result;
    }

    private static NDArray ids(NDManager manager, String type) throws IOException {
        JsonArray rows = expected(type).getAsJsonArray("ids");
        int length = rows.get(0).getAsJsonArray().size();
        long[] ids = new long[rows.size() * length];
        for (int b = 0; b < rows.size(); b++) {
            for (int t = 0; t < length; t++) {
                ids[b * length + t] = rows.get(b).getAsJsonArray().get(t).getAsLong();
            }
        }
        return manager.create(ids, new Shape(rows.size(), length));
    }
}
