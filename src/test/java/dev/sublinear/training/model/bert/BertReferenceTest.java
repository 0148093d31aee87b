package dev.sublinear.training.model.bert;

import static dev.sublinear.testing.TorchReference.floats;
import static dev.sublinear.testing.TorchReference.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.loss.Loss;
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
 * The BERT block against torch: {@code src/test/python/bert_reference.py} writes a tiny random BERT
 * classifier (config.json, model.safetensors under BertForSequenceClassification's names, and the
 * same encoder as an old BertModel and a BertForPreTraining checkpoint) with the outputs and gradients
 * of its own hand-written float32 implementation of transformers' forward, for a batch whose rows are
 * padded at the end. Needs Debian's {@code /usr/bin/python3} with {@code python3-torch}.
 */
class BertReferenceTest {

    private static final Path SCRIPT = Path.of("src/test/python/bert_reference.py");
    private static final double TOLERANCE = 1e-4;
    private static final Set<String> CLASSIFIER = Set.of("classifier.weight", "classifier.bias");

    @TempDir
    static Path reference;

    private static JsonObject expected;
    private static BertConfig config;

    @BeforeAll
    static void writeReference() throws Exception {
        TorchReference.run("BERT", SCRIPT, reference.toString());
        expected = JsonParser.parseString(Files.readString(reference.resolve("expected.json")))
                .getAsJsonObject();
        config = BertConfig.read(reference.resolve("config.json"));
    }

    @Test
    void readsTheHuggingFaceConfig() {
        assertEquals(
                new BertConfig(100, 32, 2, 4, 64, 40, 2, 1e-12, 0.02, 0, List.of("negative", "neutral", "positive")),
                config);
        assertEquals(8, config.headDim());
        assertEquals(3, config.numLabels());
    }

    @Test
    void logitsMatchTorchOnPaddedRows() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            BertForSequenceClassification model = loaded(manager, "model.safetensors", Set.of());
            NDArray logits = model.forward(new ParameterStore(manager, false), inputs(manager, false), false)
                    .singletonOrThrow();
            assertEquals(new Shape(3, 3), logits.getShape());
            assertClose("logits", expected.getAsJsonArray("logits"), logits);
            NDArray typed = model.forward(new ParameterStore(manager, false), inputs(manager, true), false)
                    .singletonOrThrow();
            assertClose("logits with token types", expected.getAsJsonArray("typed_logits"), typed);
        }
    }

    @Test
    void lossAndGradientsMatchTorch() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            BertForSequenceClassification model = loaded(manager, "model.safetensors", Set.of());
            NDArray labels = manager.create(longs(expected.getAsJsonArray("labels")));
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray logits = model.forward(new ParameterStore(manager, false), inputs(manager, false), true)
                        .singletonOrThrow();
                NDArray loss = Loss.softmaxCrossEntropyLoss().evaluate(new NDList(labels), new NDList(logits));
                assertEquals(expected.get("loss").getAsDouble(), loss.getFloat(), TOLERANCE);
                collector.backward(loss);
            }
            JsonObject gradients = expected.getAsJsonObject("gradients");
            assertEquals(6, gradients.size());
            for (String name : gradients.keySet()) {
                assertClose(
                        name + " gradient",
                        gradients.getAsJsonArray(name),
                        model.hfParameters().get(name).getArray().getGradient());
            }
        }
    }

    @Test
    void parametersAreTheStateDictsNamesInOrder() throws IOException {
        BertForSequenceClassification model = new BertForSequenceClassification(config);
        try (SafetensorsReader reader = SafetensorsReader.open(reference.resolve("model.safetensors"))) {
            // the reference writes the names in BertForSequenceClassification's state-dict order
            assertEquals(reader.names(), List.copyOf(model.hfParameters().keySet()));
            for (String name : reader.names()) {
                assertEquals(
                        new Shape(reader.tensor(name).shape()), model.hfShapes().get(name), name);
            }
        }
        List<String> djlNames = new ArrayList<>();
        for (Pair<String, Parameter> parameter : model.getParameters()) {
            djlNames.add(parameter.getValue().getName());
        }
        assertEquals(List.copyOf(model.hfParameters().keySet()), djlNames);
        assertEquals(2 * 16 + 9, djlNames.size());
    }

    @Test
    void loadsABertModelCheckpointAndCreatesTheClassifierAsTransformersDoes() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            BertForSequenceClassification model = loaded(manager, "base.safetensors", CLASSIFIER);
            NDList outputs = model.encode(new ParameterStore(manager, false), inputs(manager, false), false);
            assertClose("last hidden state", expected.getAsJsonArray("hidden"), outputs.get(0));
            assertClose("pooled output", expected.getAsJsonArray("pooled"), outputs.get(1));
            assertEquals(
                    0f,
                    model.hfParameters()
                            .get("classifier.bias")
                            .getArray()
                            .abs()
                            .sum()
                            .getFloat());
            NDArray weight = model.hfParameters().get("classifier.weight").getArray();
            assertEquals(new Shape(3, 32), weight.getShape());
            float std = weight.sub(weight.mean()).square().mean().sqrt().getFloat();
            assertTrue(std > 0.01 && std < 0.03, "normal(0, initializer_range 0.02): std " + std);
        }
    }

    @Test
    void dropsThePretrainingHeadsOfABertForPreTrainingCheckpoint() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            BertForSequenceClassification model = loaded(manager, "pretraining.safetensors", CLASSIFIER);
            NDList outputs = model.encode(new ParameterStore(manager, false), inputs(manager, false), false);
            assertClose("pooled output", expected.getAsJsonArray("pooled"), outputs.get(1));
        }
    }

    @Test
    void refusesAClassifierForAnotherNumberOfLabels() throws IOException {
        BertConfig twoLabels = BertConfig.parse(Files.readString(reference.resolve("config.json"))
                .replaceAll("\"id2label\": \\{[^}]*}", "\"id2label\": {\"0\": \"no\", \"1\": \"yes\"}")
                .replaceAll("\"label2id\": \\{[^}]*}", "\"label2id\": null"));
        assertEquals(List.of("no", "yes"), twoLabels.labels());
        try (NDManager manager = NDManager.newBaseManager();
                SafetensorsReader reader = SafetensorsReader.open(reference.resolve("model.safetensors"))) {
            BertForSequenceClassification model = new BertForSequenceClassification(twoLabels);
            IllegalArgumentException refused =
                    assertThrows(IllegalArgumentException.class, () -> model.loadCheckpoint(manager, reader));
            assertTrue(refused.getMessage().contains("classifier.weight has shape (3, 32)"), refused.getMessage());
            assertNothingSet(model);
        }
    }

    @Test
    void refusesMissingUnexpectedMisshapedAndDoubleNamesNamingTheKey() throws IOException {
        Map<String, float[]> weights = new LinkedHashMap<>();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        try (SafetensorsReader reader = SafetensorsReader.open(reference.resolve("model.safetensors"))) {
            for (String name : reader.names()) {
                weights.put(name, reader.readFloats(name));
                shapes.put(name, reader.tensor(name).shape());
            }
        }
        String bias = "bert.encoder.layer.1.output.dense.bias";
        assertRefused(without(weights, shapes, bias), "missing [" + bias + "]");
        assertRefused(
                with(weights, shapes, "bert.encoder.layer.2.output.dense.bias", 32),
                "unexpected [bert.encoder.layer.2");
        assertRefused(
                with(weights, shapes, "bert.embeddings.LayerNorm.gamma", 32),
                "given twice under two names: [bert.embeddings.LayerNorm.weight]");
        assertRefused(with(weights, shapes, "bert.pooler.dense.bias", 16), "bert.pooler.dense.bias has shape (16)");
        // without any bert. name every name is prefixed, so a classifier there is no classifier
        Map<String, float[]> bare = new LinkedHashMap<>();
        Map<String, long[]> bareShapes = new LinkedHashMap<>();
        weights.forEach((name, values) -> bare.put(name.replaceFirst("^bert\\.", ""), values));
        shapes.forEach((name, shape) -> bareShapes.put(name.replaceFirst("^bert\\.", ""), shape));
        assertRefused(write(bare, bareShapes), "unexpected [bert.classifier.bias, bert.classifier.weight]");
        try (NDManager manager = NDManager.newBaseManager();
                SafetensorsReader reader = SafetensorsReader.open(write(weights, shapes))) {
            assertEquals(Set.of(), new BertForSequenceClassification(config).loadCheckpoint(manager, reader));
        }
    }

    @Test
    void refusesConfigsItDoesNotCompute() {
        BertConfig defaults = BertConfig.parse("{}");
        assertEquals(
                new BertConfig(30522, 768, 12, 12, 3072, 512, 2, 1e-12, 0.02, 0, List.of("LABEL_0", "LABEL_1")),
                defaults);
        assertEquals(
                List.of("LABEL_0", "LABEL_1", "LABEL_2"),
                BertConfig.parse("{\"num_labels\": 3}").labels());
        assertEquals(
                List.of("a", "b"),
                BertConfig.parse("{\"id2label\": {\"1\": \"b\", \"0\": \"a\"}, \"problem_type\": null}")
                        .labels());
        for (String json : List.of(
                "{\"hidden_act\": \"gelu_new\"}",
                "{\"hidden_act\": \"relu\"}",
                "{\"position_embedding_type\": \"relative_key\"}",
                "{\"model_type\": \"roberta\"}",
                "{\"problem_type\": \"multi_label_classification\"}",
                "{\"is_decoder\": true}",
                "{\"add_cross_attention\": true}",
                "{\"num_attention_heads\": 5}",
                "{\"id2label\": {\"0\": \"a\", \"2\": \"b\"}}",
                "{\"id2label\": {\"0\": \"a\", \"1\": \"b\"}, \"label2id\": {\"a\": 1, \"b\": 0}}",
                "{\"id2label\": {\"0\": \"a\", \"1\": \"b\"}, \"num_labels\": 3}",
                "{\"hidden_size\": \"large\"}")) {
            IllegalArgumentException refused =
                    assertThrows(IllegalArgumentException.class, () -> BertConfig.parse(json), json);
            assertTrue(refused.getMessage().contains("BERT"), refused.getMessage());
        }
    }

    private static void assertRefused(Path checkpoint, String message) throws IOException {
        try (NDManager manager = NDManager.newBaseManager();
                SafetensorsReader reader = SafetensorsReader.open(checkpoint)) {
            BertForSequenceClassification model = new BertForSequenceClassification(config);
            IllegalArgumentException refused =
                    assertThrows(IllegalArgumentException.class, () -> model.loadCheckpoint(manager, reader));
            assertTrue(refused.getMessage().contains(message), refused.getMessage());
            assertNothingSet(model);
        }
    }

    private static void assertNothingSet(BertForSequenceClassification model) {
        for (Parameter parameter : model.hfParameters().values()) {
            assertTrue(!parameter.isInitialized(), "nothing is set when the weights are refused");
        }
    }

    private static Path without(Map<String, float[]> weights, Map<String, long[]> shapes, String name)
            throws IOException {
        Map<String, float[]> fewer = new LinkedHashMap<>(weights);
        fewer.remove(name);
        return write(fewer, shapes);
    }

    private static Path with(Map<String, float[]> weights, Map<String, long[]> shapes, String name, int size)
            throws IOException {
        Map<String, float[]> more = new LinkedHashMap<>(weights);
        Map<String, long[]> moreShapes = new LinkedHashMap<>(shapes);
        more.put(name, new float[size]);
        moreShapes.put(name, new long[] {size});
        return write(more, moreShapes);
    }

    private static Path write(Map<String, float[]> weights, Map<String, long[]> shapes) throws IOException {
        SafetensorsWriter writer = new SafetensorsWriter(WeightType.F32);
        weights.keySet().forEach(name -> writer.add(name, shapes.get(name)));
        Path file = Files.createTempFile(reference, "variant", ".safetensors");
        writer.writeFile(file, name -> FloatBuffer.wrap(weights.get(name)));
        return file;
    }

    private static BertForSequenceClassification loaded(NDManager manager, String file, Set<String> created)
            throws IOException {
        BertForSequenceClassification model = new BertForSequenceClassification(config);
        try (SafetensorsReader reader = SafetensorsReader.open(reference.resolve(file))) {
            assertEquals(created, model.loadCheckpoint(manager, reader));
        }
        NDArray before = model.hfParameters()
                .get("bert.embeddings.word_embeddings.weight")
                .getArray();
        model.initialize(manager, DataType.FLOAT32, new Shape(1, 4), new Shape(1, 4));
        assertTrue(
                before
                        == model.hfParameters()
                                .get("bert.embeddings.word_embeddings.weight")
                                .getArray(),
                "initialize keeps the weights");
        return model;
    }

    private static void assertClose(String what, JsonArray expectedValues, NDArray actual) {
        double diff = maxAbsDiff(floats(expectedValues), actual.toFloatArray());
        assertTrue(diff <= TOLERANCE, what + ": max |java - torch| = " + diff);
    }

    private static NDList inputs(NDManager manager, boolean withTypes) {
        JsonArray rows = expected.getAsJsonArray("ids");
        Shape shape = new Shape(rows.size(), rows.get(0).getAsJsonArray().size());
        NDArray ids = manager.create(flatLongs(rows), shape);
        NDArray mask = manager.create(flatLongs(expected.getAsJsonArray("mask")), shape)
                .toType(DataType.FLOAT32, false);
        NDList inputs = new NDList(ids, mask);
        if (withTypes) {
            inputs.add(manager.create(flatLongs(expected.getAsJsonArray("token_types")), shape));
        }
        return inputs;
    }

    private static long[] flatLongs(JsonArray rows) {
        List<Long> values = new ArrayList<>();
        for (int b = 0; b < rows.size(); b++) {
            for (var value : rows.get(b).getAsJsonArray()) {
                values.add((long) value.getAsDouble());
            }
        }
        return values.stream().mapToLong(Long::longValue).toArray();
    }

    private static long[] longs(JsonArray values) {
        long[] result = new long[values.size()];
        for (int i = 0; i < result.length; i++) {
            result[i] = values.get(i).getAsLong();
        }
        return result;
    }
}
