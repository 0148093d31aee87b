package dev.sublinear.training.model.gpt2;

import static dev.sublinear.testing.TorchReference.floats;
import static dev.sublinear.testing.TorchReference.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
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
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The GPT-2 block against torch: {@code src/test/python/gpt2_reference.py} writes a tiny random GPT-2
 * (config.json and model.safetensors under GPT2LMHeadModel's names) with the log-probabilities and
 * gradients of its own hand-written float32 implementation of transformers' forward. Needs Debian's
 * {@code /usr/bin/python3} with {@code python3-torch}; without it the test fails, as CI installs it.
 */
class Gpt2ReferenceTest {

    private static final Path SCRIPT = Path.of("src/test/python/gpt2_reference.py");
    private static final double TOLERANCE = 1e-4;

    @TempDir
    static Path reference;

    private static JsonObject expected;
    private static Gpt2Config config;

    @BeforeAll
    static void writeReference() throws Exception {
        TorchReference.run("GPT-2", SCRIPT, reference.toString());
        expected = JsonParser.parseString(Files.readString(reference.resolve("expected.json")))
                .getAsJsonObject();
        config = Gpt2Config.read(reference.resolve("config.json"));
    }

    @Test
    void readsTheHuggingFaceConfig() {
        assertEquals(new Gpt2Config(100, 64, 32, 2, 4, 128, 1e-5), config);
        assertEquals(8, config.headDim());
    }

    @Test
    void logProbabilitiesMatchTorch() throws IOException {
        try (NDManager manager = NDManager.newBaseManager();
                SafetensorsReader reader = SafetensorsReader.open(reference.resolve("model.safetensors"))) {
            Gpt2LMHeadModel model = loaded(manager, reader);
            NDArray ids = ids(manager);
            NDArray logits = model.forward(new ParameterStore(manager, false), new NDList(ids), false)
                    .singletonOrThrow();
            assertEquals(new Shape(ids.getShape().get(0), ids.getShape().get(1), 100), logits.getShape());
            float[] logProbs = logits.logSoftmax(-1).toFloatArray();
            double diff = maxAbsDiff(floats(expected.getAsJsonArray("log_probs")), logProbs);
            assertTrue(diff <= TOLERANCE, "max |log p - torch| = " + diff);
        }
    }

    @Test
    void gradientsOfTheNextTokenLossMatchTorch() throws IOException {
        try (NDManager manager = NDManager.newBaseManager();
                SafetensorsReader reader = SafetensorsReader.open(reference.resolve("model.safetensors"))) {
            Gpt2LMHeadModel model = loaded(manager, reader);
            NDArray ids = ids(manager);
            long batch = ids.getShape().get(0);
            long length = ids.getShape().get(1);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray logits = model.forward(new ParameterStore(manager, false), new NDList(ids), true)
                        .singletonOrThrow();
                NDArray logProbs = logits.get(new NDIndex(":, :-1, :")).logSoftmax(-1);
                NDArray targets = ids.get(new NDIndex(":, 1:")).oneHot(100, DataType.FLOAT32);
                NDArray loss = logProbs.mul(targets).sum().neg().div(manager.create((float) (batch * (length - 1))));
                assertEquals(expected.get("loss").getAsDouble(), loss.getFloat(), TOLERANCE);
                collector.backward(loss);
            }
            JsonObject gradients = expected.getAsJsonObject("gradients");
            assertEquals(5, gradients.size());
            for (String name : gradients.keySet()) {
                float[] gradient =
                        model.hfParameters().get(name).getArray().getGradient().toFloatArray();
                double diff = maxAbsDiff(floats(gradients.getAsJsonArray(name)), gradient);
                assertTrue(diff <= TOLERANCE, name + ": max |grad - torch| = " + diff);
            }
        }
    }

    @Test
    void everyHuggingFaceNameIsAParameterOnceWithTheConfigsShape() throws IOException {
        List<String> names = new ArrayList<>(List.of("transformer.wte.weight", "transformer.wpe.weight"));
        for (int i = 0; i < config.nLayer(); i++) {
            for (String suffix : List.of(
                    "ln_1.weight",
                    "ln_1.bias",
                    "attn.c_attn.weight",
                    "attn.c_attn.bias",
                    "attn.c_proj.weight",
                    "attn.c_proj.bias",
                    "ln_2.weight",
                    "ln_2.bias",
                    "mlp.c_fc.weight",
                    "mlp.c_fc.bias",
                    "mlp.c_proj.weight",
                    "mlp.c_proj.bias")) {
                names.add("transformer.h." + i + "." + suffix);
            }
        }
        names.add("transformer.ln_f.weight");
        names.add("transformer.ln_f.bias");
        Gpt2LMHeadModel model = new Gpt2LMHeadModel(config);
        assertEquals(names, List.copyOf(model.hfParameters().keySet()));
        List<String> djlNames = new ArrayList<>();
        for (Pair<String, Parameter> parameter : model.getParameters()) {
            djlNames.add(parameter.getValue().getName());
        }
        assertEquals(names, djlNames, "the block holds these parameters, each once");
        Set<Parameter> distinct = new HashSet<>(model.hfParameters().values());
        assertEquals(names.size(), distinct.size());
        try (SafetensorsReader reader = SafetensorsReader.open(reference.resolve("model.safetensors"))) {
            assertEquals(Set.copyOf(names), Set.copyOf(reader.names()));
            for (String name : names) {
                assertEquals(
                        new Shape(reader.tensor(name).shape()), model.hfShapes().get(name), name);
            }
        }
        Map<String, Shape> shapes = model.hfShapes();
        assertEquals(new Shape(100, 32), shapes.get("transformer.wte.weight"));
        assertEquals(new Shape(64, 32), shapes.get("transformer.wpe.weight"));
        assertEquals(new Shape(32, 96), shapes.get("transformer.h.1.attn.c_attn.weight"));
        assertEquals(new Shape(32, 128), shapes.get("transformer.h.0.mlp.c_fc.weight"));
        assertEquals(new Shape(128, 32), shapes.get("transformer.h.0.mlp.c_proj.weight"));
        try (NDManager manager = NDManager.newBaseManager()) {
            model.initialize(manager, DataType.FLOAT32, new Shape(1, 4));
            for (Map.Entry<String, Parameter> entry : model.hfParameters().entrySet()) {
                assertEquals(
                        shapes.get(entry.getKey()), entry.getValue().getArray().getShape(), entry.getKey());
            }
        }
    }

    @Test
    void refusesMissingExtraAndMisshapedWeightsNamingTheKey() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> weights = new LinkedHashMap<>();
            try (SafetensorsReader reader = SafetensorsReader.open(reference.resolve("model.safetensors"))) {
                for (String name : reader.names()) {
                    weights.put(name, reader.read(name, manager));
                }
            }
            Map<String, NDArray> missing = new LinkedHashMap<>(weights);
            missing.remove("transformer.h.1.ln_2.bias");
            assertRefused(manager, missing, "missing [transformer.h.1.ln_2.bias]");

            Map<String, NDArray> extra = new LinkedHashMap<>(weights);
            extra.put("lm_head.weight", weights.get("transformer.wte.weight"));
            assertRefused(manager, extra, "unexpected [lm_head.weight]");

            Map<String, NDArray> misshaped = new LinkedHashMap<>(weights);
            misshaped.put("transformer.h.0.attn.c_proj.weight", manager.zeros(new Shape(16, 32)));
            assertRefused(manager, misshaped, "transformer.h.0.attn.c_proj.weight has shape (16, 32)");

            // c_attn given as nn.Linear would store it, (out, in): refused, not silently transposed
            Map<String, NDArray> transposed = new LinkedHashMap<>(weights);
            transposed.put("transformer.h.0.attn.c_attn.weight", manager.zeros(new Shape(96, 32)));
            assertRefused(manager, transposed, "transformer.h.0.attn.c_attn.weight has shape (96, 32)");

            Gpt2LMHeadModel model = new Gpt2LMHeadModel(config);
            model.loadWeights(manager, weights);
            float[] logits = model.forward(new ParameterStore(manager, false), new NDList(ids(manager)), false)
                    .singletonOrThrow()
                    .logSoftmax(-1)
                    .toFloatArray();
            assertTrue(maxAbsDiff(floats(expected.getAsJsonArray("log_probs")), logits) <= TOLERANCE);
        }
    }

    @Test
    void loadsACheckpointAsHuggingFaceStoresIt() throws IOException {
        try (NDManager manager = NDManager.newBaseManager();
                SafetensorsReader reader = SafetensorsReader.open(reference.resolve("hub.safetensors"))) {
            assertTrue(
                    reader.names().contains("h.0.attn.bias") && reader.names().contains("lm_head.weight"));
            Gpt2LMHeadModel model = new Gpt2LMHeadModel(config);
            model.loadCheckpoint(manager, reader);
            float[] logProbs = model.forward(new ParameterStore(manager, false), new NDList(ids(manager)), false)
                    .singletonOrThrow()
                    .logSoftmax(-1)
                    .toFloatArray();
            double diff = maxAbsDiff(floats(expected.getAsJsonArray("log_probs")), logProbs);
            assertTrue(diff <= TOLERANCE, "max |log p - torch| = " + diff);
        }
    }

    @Test
    void refusesAnUntiedHeadAndNamesGivenTwice() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            try (SafetensorsReader reader = SafetensorsReader.open(reference.resolve("untied.safetensors"))) {
                Gpt2LMHeadModel model = new Gpt2LMHeadModel(config);
                IllegalArgumentException refused =
                        assertThrows(IllegalArgumentException.class, () -> model.loadCheckpoint(manager, reader));
                assertTrue(refused.getMessage().contains("lm_head.weight differs"), refused.getMessage());
                assertTrue(!model.hfParameters().get("transformer.wte.weight").isInitialized());
            }
            // model.safetensors (prefixed) strictly loads as a checkpoint too
            try (SafetensorsReader reader = SafetensorsReader.open(reference.resolve("model.safetensors"))) {
                new Gpt2LMHeadModel(config).loadCheckpoint(manager, reader);
            }
            SafetensorsWriter writer = new SafetensorsWriter(WeightType.F32);
            Gpt2LMHeadModel model = new Gpt2LMHeadModel(config);
            Map<String, Shape> all = new LinkedHashMap<>(model.hfShapes());
            all.put("wte.weight", new Shape(100, 32));
            all.forEach((name, shape) -> writer.add(name, shape.getShape()));
            Path twice = reference.resolve("twice.safetensors");
            writer.writeFile(
                    twice, name -> FloatBuffer.allocate((int) all.get(name).size()));
            try (SafetensorsReader reader = SafetensorsReader.open(twice)) {
                IllegalArgumentException refused =
                        assertThrows(IllegalArgumentException.class, () -> model.loadCheckpoint(manager, reader));
                assertTrue(
                        refused.getMessage().contains("given twice")
                                && refused.getMessage().contains("transformer.wte.weight"),
                        refused.getMessage());
            }
        }
    }

    @Test
    void refusesWeightsAfterInitialization() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Gpt2LMHeadModel model = new Gpt2LMHeadModel(config);
            model.initialize(manager, DataType.FLOAT32, new Shape(1, 4));
            Map<String, NDArray> weights = new LinkedHashMap<>();
            model.hfShapes().forEach((name, shape) -> weights.put(name, manager.zeros(shape)));
            assertThrows(IllegalStateException.class, () -> model.loadWeights(manager, weights));
        }
    }

    @Test
    void refusesConfigsItDoesNotCompute() {
        String base = "{\"n_embd\": 32, \"n_layer\": 2, \"n_head\": 4, \"n_positions\": 64, \"vocab_size\": 100";
        assertEquals(new Gpt2Config(100, 64, 32, 2, 4, 128, 1e-5), Gpt2Config.parse(base + "}"));
        assertEquals(64, Gpt2Config.parse(base + ", \"n_inner\": 64}").nInner());
        for (String field : List.of(
                "\"activation_function\": \"gelu\"",
                "\"model_type\": \"llama\"",
                "\"scale_attn_by_inverse_layer_idx\": true",
                "\"reorder_and_upcast_attn\": true",
                "\"scale_attn_weights\": false",
                "\"tie_word_embeddings\": false",
                "\"n_head\": 5")) {
            String json = base.replace("\"n_head\": 4, ", "\"n_head\": 4, " + field + ", ") + "}";
            if (field.startsWith("\"n_head\"")) {
                json = base.replace("\"n_head\": 4", field) + "}";
            }
            String text = json;
            assertThrows(IllegalArgumentException.class, () -> Gpt2Config.parse(text), field);
        }
        IllegalArgumentException missing =
                assertThrows(IllegalArgumentException.class, () -> Gpt2Config.parse("{\"n_embd\": 32}"));
        assertTrue(missing.getMessage().contains("vocab_size is missing"), missing.getMessage());
    }

    private static void assertRefused(NDManager manager, Map<String, NDArray> weights, String message) {
        Gpt2LMHeadModel model = new Gpt2LMHeadModel(config);
        IllegalArgumentException refused =
                assertThrows(IllegalArgumentException.class, () -> model.loadWeights(manager, weights));
        assertTrue(refused.getMessage().contains(message), refused.getMessage());
        for (Parameter parameter : model.hfParameters().values()) {
            assertTrue(!parameter.isInitialized(), "nothing is set when the weights are refused");
        }
    }

    private static Gpt2LMHeadModel loaded(NDManager manager, SafetensorsReader reader) throws IOException {
        Gpt2LMHeadModel model = new Gpt2LMHeadModel(config);
        model.loadWeights(manager, reader);
        NDArray before = model.hfParameters().get("transformer.wte.weight").getArray();
        model.initialize(manager, DataType.FLOAT32, new Shape(1, 4));
        assertTrue(before == model.hfParameters().get("transformer.wte.weight").getArray(), "initialize keeps weights");
        return model;
    }

    private static NDArray ids(NDManager manager) {
        JsonArray rows = expected.getAsJsonArray("ids");
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
