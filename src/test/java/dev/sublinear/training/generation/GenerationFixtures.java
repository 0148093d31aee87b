package dev.sublinear.training.generation;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.sublinear.testing.TinyHfModels;
import dev.sublinear.testing.TorchReference;
import dev.sublinear.training.NoGrad;
import dev.sublinear.training.data.ByteTokenizer;
import dev.sublinear.training.data.TaskType;
import dev.sublinear.training.model.LoadedModel;
import dev.sublinear.training.model.ModelConfig;
import dev.sublinear.training.weights.WeightType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Models for the generation tests, and the uncached forward they are checked against. */
final class GenerationFixtures {

    static final Path PARITY_SCRIPT = Path.of("src/test/python/hf_parity_reference.py");

    private GenerationFixtures() {}

    /** One of our own language models (byte tokenizer, 64 positions), random from {@code seed}. */
    static LoadedModel ownModel(long seed) {
        ModelConfig config = new ModelConfig(TaskType.CAUSAL_LM, ByteTokenizer.TYPE, 260, 64, 2, 32, 4, 64, null);
        return LoadedModel.create(config, seed, Device.cpu());
    }

    /** TinyHfModels' gpt2, llama or qwen3 (real byte-level BPE tokenizers), loaded. */
    static LoadedModel tinyHf(Path directory, String family, long seed) throws IOException {
        Path folder = family.equals("gpt2")
                ? TinyHfModels.gpt2(directory.resolve(family), WeightType.F32, seed)
                : TinyHfModels.llama(directory.resolve(family), family, WeightType.F32, seed);
        return LoadedModel.load(folder, Device.cpu());
    }

    /**
     * Runs hf_parity_reference.py into {@code directory} and gives each of its tokenizer-less model
     * folders (vocabulary 100) a word-level tokenizer of tokens {@code t0 .. t99}, so that they load as
     * whole models; the ids the script scored are used as they are.
     */
    static void writeParityModels(Path directory) throws Exception {
        TorchReference.run("Hugging Face parity", PARITY_SCRIPT, directory.toString());
        for (String family : new String[] {"gpt2", "llama", "qwen2", "qwen3"}) {
            JsonObject vocab = new JsonObject();
            for (int i = 0; i < 100; i++) {
                vocab.addProperty("t" + i, i);
            }
            JsonObject model = new JsonObject();
            model.addProperty("type", "WordLevel");
            model.add("vocab", vocab);
            model.addProperty("unk_token", "t0");
            JsonObject preTokenizer = new JsonObject();
            preTokenizer.addProperty("type", "Whitespace");
            JsonObject json = new JsonObject();
            json.addProperty("version", "1.0");
            json.add("truncation", null);
            json.add("padding", null);
            json.add("added_tokens", new JsonArray());
            json.add("normalizer", null);
            json.add("pre_tokenizer", preTokenizer);
            json.add("post_processor", null);
            json.add("decoder", null);
            json.add("model", model);
            Files.writeString(directory.resolve(family).resolve("tokenizer.json"), json.toString());
        }
    }

    /** Logits [T, V] of {@code ids} by the block's own forward over the whole sequence (no cache). */
    static float[][] uncachedLogits(LoadedModel model, int[] ids) {
        try (NoGrad ignored = NoGrad.enter();
                NDManager manager = model.model().getNDManager().newSubManager()) {
            long[] longs = new long[ids.length];
            for (int i = 0; i < ids.length; i++) {
                longs[i] = ids[i];
            }
            NDArray tokens = manager.create(longs, new Shape(1, ids.length));
            NDArray out = model.block()
                    .forward(
                            new ParameterStore(manager, false),
                            new NDList(tokens, manager.ones(tokens.getShape())),
                            false)
                    .singletonOrThrow();
            float[][] rows = new float[ids.length][];
            for (int t = 0; t < ids.length; t++) {
                rows[t] = out.get(0, t).toFloatArray();
            }
            return rows;
        }
    }

    static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }
}
