package dev.sublinear.training.model;

import static dev.sublinear.testing.TorchReference.floats;
import static dev.sublinear.testing.TorchReference.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.tracker.Tracker;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.sublinear.optimizer.Adafactor;
import dev.sublinear.testing.TorchReference;
import dev.sublinear.training.model.gpt2.Gpt2Config;
import dev.sublinear.training.model.gpt2.Gpt2LMHeadModel;
import dev.sublinear.training.model.llama.LlamaConfig;
import dev.sublinear.training.model.llama.LlamaForCausalLM;
import dev.sublinear.training.run.MaskedCrossEntropy;
import dev.sublinear.training.weights.SafetensorsReader;
import dev.sublinear.training.weights.WeightType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * GPT-2, llama, qwen2 and qwen3 against torch, from the model folder to the weights after one
 * optimizer step. {@code src/test/python/hf_parity_reference.py} writes each tiny random model as
 * transformers saves it (llama sharded with model.safetensors.index.json, qwen2 in BF16, qwen3 with a
 * tied lm_head.weight written anyway and the old rotary_emb.inv_freq buffers) with its own
 * hand-written float32 forwards' log-probabilities, the masked next-token loss, and the weights after
 * one step of its own float64 Adafactor written from docs/adafactor.md. Here each folder is opened
 * with {@link SafetensorsReader#open(Path)} and loaded with the block's {@link
 * PretrainedBlock#loadCheckpoint}; log-probabilities and every weight after one DJL {@link Trainer}
 * step with {@link MaskedCrossEntropy} and {@link Adafactor} (the options the script used) must agree
 * within 1e-4, while the step moves some weights by more than 30 times that (checked, so that a step
 * that does nothing fails).
 */
class PretrainedParityTest {

    private static final Path SCRIPT = Path.of("src/test/python/hf_parity_reference.py");
    private static final double TOLERANCE = 1e-4;

    @TempDir
    static Path reference;

    @BeforeAll
    static void writeReference() throws Exception {
        TorchReference.run("Hugging Face parity", SCRIPT, reference.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2", "llama", "qwen2", "qwen3"})
    void matchesTorchBeforeAndAfterOneAdafactorStep(String name) throws IOException {
        Path folder = reference.resolve(name);
        JsonObject expected = JsonParser.parseString(Files.readString(folder.resolve("expected.json")))
                .getAsJsonObject();
        PretrainedBlock block = name.equals("gpt2")
                ? new Gpt2LMHeadModel(Gpt2Config.read(folder.resolve("config.json")))
                : new LlamaForCausalLM(LlamaConfig.read(folder.resolve("config.json")));
        try (Model model = Model.newInstance(name);
                Adafactor optimizer = adafactor(expected.getAsJsonObject("adafactor"))) {
            model.setBlock(block);
            try (SafetensorsReader reader = SafetensorsReader.open(folder)) {
                assertStoredAsTransformersWritesIt(name, reader);
                assertEquals(Set.of(), block.loadCheckpoint(model.getNDManager(), reader));
            }
            try (Trainer trainer =
                    model.newTrainer(new DefaultTrainingConfig(new MaskedCrossEntropy()).optOptimizer(optimizer))) {
                NDManager data = trainer.getManager();
                NDArray ids = longs(data, expected.getAsJsonArray("ids"));
                NDArray targets = longs(data, expected.getAsJsonArray("targets"));
                NDArray lossMask = matrix(data, expected.getAsJsonArray("mask"));
                // the reference attends causally with no padding mask, as these blocks do
                NDList inputs = new NDList(ids, data.ones(ids.getShape()));
                NDList labels = new NDList(targets, lossMask);
                trainer.initialize(ids.getShape(), ids.getShape());

                float[] logProbs = trainer.evaluate(inputs)
                        .singletonOrThrow()
                        .logSoftmax(-1)
                        .toFloatArray();
                double logProbDiff = maxAbsDiff(floats(expected.getAsJsonArray("log_probs")), logProbs);
                assertTrue(logProbDiff <= TOLERANCE, name + ": max |log p - torch| = " + logProbDiff);

                Map<String, Parameter> parameters = block.hfParameters();
                Map<String, float[]> before = new LinkedHashMap<>();
                parameters.forEach((hf, p) -> before.put(hf, p.getArray().toFloatArray()));
                try (GradientCollector collector = trainer.newGradientCollector()) {
                    NDList predictions = trainer.forward(inputs, labels);
                    NDArray loss = trainer.getLoss().evaluate(labels, predictions);
                    double lossDiff =
                            Math.abs(loss.getFloat() - expected.get("loss").getAsDouble());
                    assertTrue(lossDiff <= TOLERANCE, name + ": |loss - torch| = " + lossDiff);
                    collector.backward(loss);
                }
                trainer.step();

                double weightDiff = 0;
                double moved = 0;
                try (SafetensorsReader after = SafetensorsReader.open(folder.resolve("after.safetensors"))) {
                    assertEquals(new TreeSet<>(after.names()), new TreeSet<>(parameters.keySet()), name);
                    for (Map.Entry<String, Parameter> entry : parameters.entrySet()) {
                        float[] torch = after.readFloats(entry.getKey());
                        float[] djl = entry.getValue().getArray().toFloatArray();
                        double diff = maxAbsDiff(torch, djl);
                        assertTrue(
                                diff <= TOLERANCE,
                                name + ": " + entry.getKey() + " after the step, max |w - torch| = " + diff);
                        weightDiff = Math.max(weightDiff, diff);
                        moved = Math.max(moved, maxAbsDiff(torch, before.get(entry.getKey())));
                    }
                }
                assertTrue(moved > 30 * TOLERANCE, name + ": the step moved no weight by more than " + moved);
                System.out.printf(
                        "%s parity: max |log p - torch| %.2e, max |w - torch| after one Adafactor step %.2e"
                                + " (the step moved weights by up to %.2e)%n",
                        name, logProbDiff, weightDiff, moved);
            }
        }
    }

    /** The storage the script chose for each model, so that each form is really exercised. */
    private static void assertStoredAsTransformersWritesIt(String name, SafetensorsReader reader) {
        switch (name) {
            case "llama" -> {
                assertEquals(
                        SafetensorsReader.INDEX_FILE,
                        reader.source().getFileName().toString());
                assertTrue(Files.exists(reader.source().resolveSibling("model-00002-of-00002.safetensors")));
            }
            case "qwen2" ->
                assertEquals(
                        WeightType.BF16,
                        reader.tensor("model.embed_tokens.weight").type());
            case "qwen3" ->
                assertTrue(reader.names().contains("lm_head.weight")
                        && reader.names().contains("model.layers.1.self_attn.rotary_emb.inv_freq"));
            default -> assertTrue(reader.names().contains("transformer.wte.weight"));
        }
    }

    /** Adafactor with the options hf_parity_reference.py used (adafactor.md's names). */
    private static Adafactor adafactor(JsonObject options) {
        Adafactor.Builder builder = Adafactor.builder()
                .optRelativeStep(options.get("relative_step").getAsBoolean())
                .optScaleParameter(options.get("scale_parameter").getAsBoolean())
                .optWarmupInit(options.get("warmup_init").getAsBoolean())
                .optDecayRate(options.get("decay_rate").getAsFloat())
                .optClipThreshold(options.get("clip_threshold").getAsFloat())
                .optEpsilon1(options.get("eps1").getAsFloat())
                .optEpsilon2(options.get("eps2").getAsFloat())
                .optWeightDecays(options.get("weight_decay").getAsFloat());
        if (!options.get("lr").isJsonNull()) {
            builder.optLearningRateTracker(Tracker.fixed(options.get("lr").getAsFloat()));
        }
        return builder.build();
    }

    private static NDArray longs(NDManager manager, JsonArray rows) {
        int columns = rows.get(0).getAsJsonArray().size();
        long[] values = new long[rows.size() * columns];
        for (int r = 0; r < rows.size(); r++) {
            for (int c = 0; c < columns; c++) {
                values[r * columns + c] = rows.get(r).getAsJsonArray().get(c).getAsLong();
            }
        }
        return manager.create(values, new Shape(rows.size(), columns));
    }

    private static NDArray matrix(NDManager manager, JsonArray rows) {
        int columns = rows.get(0).getAsJsonArray().size();
        float[] values = new float[rows.size() * columns];
        for (int r = 0; r < rows.size(); r++) {
            for (int c = 0; c < columns; c++) {
                values[r * columns + c] = rows.get(r).getAsJsonArray().get(c).getAsFloat();
            }
        }
        return manager.create(values, new Shape(rows.size(), columns));
    }
}
