package dev.sublinear.training.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.training.initializer.XavierInitializer;
import ai.djl.util.Pair;
import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import dev.sublinear.training.NoGrad;
import dev.sublinear.training.data.ByteTokenizer;
import dev.sublinear.training.data.Encoder;
import dev.sublinear.training.data.TaskType;
import dev.sublinear.training.data.Tokenizer;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;

/**
 * A model in memory: its DJL {@link Model} and block, its config and tokenizer. Saved as a
 * directory of {@code config.json} (architecture, tokenizer, labels) and {@code model.params}
 * (DJL's parameter format): self-describing, loadable for inference or further training.
 */
public final class LoadedModel implements AutoCloseable {

    public static final String CONFIG_FILE = "config.json";
    public static final String PARAMETERS_FILE = "model.params";
    private static final Gson GSON = new GsonBuilder().setPrettyPrinting().create();
    /** PyTorch's random generator is process-wide: initialisations from a seed take turns. */
    private static final Object SEEDED_INIT = new Object();

    private final ModelConfig config;
    private final Tokenizer tokenizer;
    private final Model model;
    private final PretrainedFiles pretrained;

    private LoadedModel(ModelConfig config, Model model) {
        this(config, tokenizer(config.tokenizer()), model, null);
    }

    /** A model of a Hugging Face architecture ({@code pretrained} non-null) or of ours. */
    LoadedModel(ModelConfig config, Tokenizer tokenizer, Model model, PretrainedFiles pretrained) {
        this.config = config;
        this.tokenizer = tokenizer;
        this.model = model;
        this.pretrained = pretrained;
    }

    /** A new model of {@code config}, its parameters initialised from {@code seed}. */
    public static LoadedModel create(ModelConfig config, long seed, Device device) {
        Model model = Model.newInstance("sublinear", device);
        model.setBlock(block(config));
        synchronized (SEEDED_INIT) {
            Engine.getEngine("PyTorch").setRandomSeed((int) seed);
            // Xavier for the linear layers; the embeddings keep their own N(0, 0.02)
            model.getBlock()
                    .setInitializer(
                            new XavierInitializer(),
                            p -> p.getType() == Parameter.Type.WEIGHT
                                    && !p.getName().endsWith("embedding"));
            model.getBlock().initialize(model.getNDManager(), DataType.FLOAT32, inputShapes(config));
        }
        return new LoadedModel(config, model);
    }

    /** Loads a model saved by {@link #save}, or a Hugging Face model directory. */
    public static LoadedModel load(Path directory, Device device) throws IOException {
        if (PretrainedModels.isPretrained(directory)) {
            return PretrainedModels.load(directory, device);
        }
        ModelConfig config = readConfig(directory.resolve(CONFIG_FILE));
        try (InputStream in = Files.newInputStream(directory.resolve(PARAMETERS_FILE))) {
            return load(config, in, device);
        }
    }

    /** Loads parameters saved by {@link #writeParameters} into a new model of {@code config}. */
    public static LoadedModel load(ModelConfig config, InputStream parameters, Device device) throws IOException {
        Model model = Model.newInstance("sublinear", device);
        model.setBlock(block(config));
        model.getBlock().initialize(model.getNDManager(), DataType.FLOAT32, inputShapes(config));
        try {
            model.getBlock().loadParameters(model.getNDManager(), new DataInputStream(parameters));
        } catch (MalformedModelException | RuntimeException e) {
            model.close();
            throw new IOException("model parameters do not fit the configuration: " + e.getMessage(), e);
        }
        return new LoadedModel(config, model);
    }

    public static ModelConfig readConfig(Path file) throws IOException {
        try {
            return parseConfig(Files.readString(file, StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new IOException(file.getFileName() + " is not a valid model configuration: " + e.getMessage(), e);
        }
    }

    /** Saves the model: a Hugging Face model as its directory, ours as config.json and model.params. */
    public void save(Path directory) throws IOException {
        if (pretrained != null) {
            PretrainedModels.save(this, directory);
            return;
        }
        Files.createDirectories(directory);
        Files.writeString(directory.resolve(CONFIG_FILE), GSON.toJson(config), StandardCharsets.UTF_8);
        try (OutputStream out = Files.newOutputStream(directory.resolve(PARAMETERS_FILE))) {
            writeParameters(out);
        }
    }

    public void writeParameters(OutputStream out) throws IOException {
        DataOutputStream data = new DataOutputStream(out);
        model.getBlock().saveParameters(data);
        data.flush();
    }

    public String configJson() {
        return GSON.toJson(config);
    }

    /**
     * Parses and checks a configuration: ours, or a Hugging Face {@code config.json}, summarised.
     *
     * @throws IllegalArgumentException if the JSON is not a valid configuration
     */
    public static ModelConfig parseConfig(String json) {
        if (PretrainedFamily.isPretrained(json)) {
            return PretrainedFamily.of(json).summary(json);
        }
        ModelConfig config;
        try {
            config = GSON.fromJson(ConfigJson.object(json, "the configuration"), ModelConfig.class);
        } catch (IllegalArgumentException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new IllegalArgumentException(ConfigJson.plain(e), e);
        }
        if (config == null) {
            throw new IllegalArgumentException("empty configuration");
        }
        if (config.task() == null || config.tokenizer() == null) {
            throw new IllegalArgumentException("task and tokenizer are required");
        }
        // Gson fills records without running the compact constructor's checks: run them
        return new ModelConfig(
                config.task(),
                config.tokenizer(),
                config.vocabularySize(),
                config.contextLength(),
                config.layers(),
                config.width(),
                config.heads(),
                config.mlpWidth(),
                config.labels());
    }

    public ModelConfig config() {
        return config;
    }

    public Tokenizer tokenizer() {
        return tokenizer;
    }

    /** The Hugging Face files this model came with, or null for a model of our own architecture. */
    public PretrainedFiles pretrained() {
        return pretrained;
    }

    public Model model() {
        return model;
    }

    public Block block() {
        return model.getBlock();
    }

    /** Each parameter's id in this process to its stable path in the block. */
    public Map<String, String> parameterNames() {
        Map<String, String> names = new LinkedHashMap<>();
        for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
            names.put(p.getValue().getId(), p.getKey());
        }
        return names;
    }

    /** Each parameter's stable path in the block to its id in this process. */
    public Map<String, String> parameterIds() {
        Map<String, String> ids = new LinkedHashMap<>();
        parameterNames().forEach((id, name) -> ids.put(name, id));
        return ids;
    }

    /** Whether every parameter is finite (one host read per parameter). */
    public boolean parametersFinite() {
        for (Parameter p : model.getBlock().getParameters().values()) {
            try (NDManager scope = model.getNDManager().newSubManager()) {
                NDArray array = p.getArray();
                array.tempAttach(scope);
                if (!Float.isFinite(array.sum().getFloat())) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Parameter elements of the model. */
    public long parameterCount() {
        return model.getBlock().getParameters().values().stream()
                .mapToLong(p -> p.getArray().size())
                .sum();
    }

    /**
     * Continues {@code prompt}: greedy when temperature is 0, else sampled from softmax(logits / T)
     * with {@code seed}. Stops at end of sequence or after {@code maxTokens}.
     */
    public String generate(String prompt, int maxTokens, float temperature, long seed) {
        return generate(prompt, maxTokens, temperature, seed, () -> false);
    }

    /**
     * As {@link #generate(String, int, float, long)}, asking {@code stop} before each token: a
     * caller whose client went away or whose deadline passed ends the work within one forward pass
     * instead of after all {@code maxTokens} (a plain check, so this layer needs no web framework).
     *
     * @throws CancellationException when {@code stop} answered true
     */
    public String generate(String prompt, int maxTokens, float temperature, long seed, BooleanSupplier stop) {
        requireTask(TaskType.CAUSAL_LM);
        Encoder encoder = new Encoder(tokenizer, config.contextLength(), config.labels());
        int[] context = encoder.promptForGeneration(prompt);
        int[] generated = new int[maxTokens];
        int count = 0;
        Random random = new Random(seed);
        int limit = config.contextLength();
        // with a key/value cache: the prompt in one forward, then one position per token until the
        // context is full; after that the window moves on and each token re-reads the last `limit`
        try (IncrementalDecoder decoder = new IncrementalDecoder(this)) {
            for (; count < maxTokens; count++) {
                if (stop.getAsBoolean()) {
                    throw new CancellationException(
                            "generation stopped after " + count + " of " + maxTokens + " tokens");
                }
                float[] logits;
                if (count == 0) {
                    logits = decoder.feed(context);
                } else if (decoder.length() < limit) {
                    logits = decoder.feed(new int[] {generated[count - 1]});
                } else {
                    logits = decoder.restart(context);
                }
                int next = temperature <= 0 ? argmax(logits) : sample(logits, temperature, random);
                if (next == tokenizer.eosId()) {
                    break;
                }
                generated[count] = next;
                context = append(context, next, limit);
            }
        }
        return tokenizer.decode(Arrays.copyOf(generated, count));
    }

    /** Label probabilities of {@code text}, in the model's label order. */
    public Map<String, Float> classify(String text) {
        requireTask(TaskType.CLASSIFICATION);
        Encoder encoder = new Encoder(tokenizer, config.contextLength(), config.labels());
        int[] tokens = encoder.textForClassification(text);
        try (NoGrad ignored = NoGrad.enter();
                NDManager manager = model.getNDManager().newSubManager()) {
            ParameterStore store = new ParameterStore(manager, false);
            float[] probabilities = model.getBlock()
                    .forward(store, inputs(manager, tokens), false)
                    .singletonOrThrow()
                    .softmax(-1)
                    .toFloatArray();
            Map<String, Float> result = new LinkedHashMap<>();
            for (int i = 0; i < probabilities.length; i++) {
                result.put(config.labels().get(i), probabilities[i]);
            }
            return result;
        }
    }

    private void requireTask(TaskType task) {
        if (config.task() != task) {
            throw new IllegalStateException("this model is for " + config.task().id() + ", not " + task.id());
        }
    }

    private static NDList inputs(NDManager manager, int[] tokens) {
        long[] ids = new long[tokens.length];
        float[] mask = new float[tokens.length];
        for (int i = 0; i < tokens.length; i++) {
            ids[i] = tokens[i];
            mask[i] = 1f;
        }
        return new NDList(
                manager.create(ids, new Shape(1, tokens.length)), manager.create(mask, new Shape(1, tokens.length)));
    }

    private static int[] append(int[] context, int token, int limit) {
        int[] next;
        if (context.length < limit) {
            next = Arrays.copyOf(context, context.length + 1);
        } else {
            next = new int[limit];
            System.arraycopy(context, 1, next, 0, limit - 1);
        }
        next[next.length - 1] = token;
        return next;
    }

    private static int argmax(float[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }

    private static int sample(float[] logits, float temperature, Random random) {
        double max = Double.NEGATIVE_INFINITY;
        for (float l : logits) {
            max = Math.max(max, l);
        }
        double[] weights = new double[logits.length];
        double total = 0;
        for (int i = 0; i < logits.length; i++) {
            weights[i] = Math.exp((logits[i] - max) / temperature);
            total += weights[i];
        }
        double pick = random.nextDouble() * total;
        for (int i = 0; i < weights.length; i++) {
            pick -= weights[i];
            if (pick <= 0) {
                return i;
            }
        }
        return weights.length - 1;
    }

    static Shape[] inputShapes(ModelConfig config) {
        Shape tokens = new Shape(1, config.contextLength());
        return new Shape[] {tokens, tokens};
    }

    private static Block block(ModelConfig config) {
        return config.task() == TaskType.CLASSIFICATION
                ? new TransformerClassifier(config)
                : new TransformerLanguageModel(config);
    }

    private static Tokenizer tokenizer(String type) {
        if (ByteTokenizer.TYPE.equals(type)) {
            return new ByteTokenizer();
        }
        throw new IllegalArgumentException("unknown tokenizer '" + type + "'");
    }

    @Override
    public void close() {
        model.close();
        if (tokenizer instanceof AutoCloseable closeable) {
            try {
                closeable.close();
            } catch (Exception e) {
                throw new IllegalStateException("closing the tokenizer failed", e);
            }
        }
    }
}
