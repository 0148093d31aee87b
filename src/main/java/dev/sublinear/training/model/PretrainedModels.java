package dev.sublinear.training.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import dev.sublinear.training.chat.ChatTemplate;
import dev.sublinear.training.chat.ChatTemplateException;
import dev.sublinear.training.data.TaskType;
import dev.sublinear.training.tokenizer.HfTokenizer;
import dev.sublinear.training.weights.SafetensorsReader;
import dev.sublinear.training.weights.SafetensorsWriter;
import dev.sublinear.training.weights.WeightFileException;
import dev.sublinear.training.weights.WeightType;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Hugging Face model directories in and out of {@link LoadedModel}: loading one (config, weights
 * in any stored type as float32 master weights, tokenizer), and saving a model back as the directory
 * transformers' {@code from_pretrained} reads, its weights under their names in the types they came in.
 */
public final class PretrainedModels {

    /** Shapes for {@code initialize}: the blocks size their parameters from their configs, not from these. */
    private static final Shape[] INPUT_SHAPES = {new Shape(1, 1), new Shape(1, 1)};

    /** Where a checkpoint keeps a Hugging Face model's files (see {@code Checkpoint}). */
    public static final String CHECKPOINT_FOLDER = "pretrained/";

    private PretrainedModels() {}

    /** Whether {@code directory} holds a Hugging Face model (its config.json has a model_type). */
    public static boolean isPretrained(Path directory) throws IOException {
        Path config = directory.resolve(PretrainedFiles.CONFIG);
        return Files.isRegularFile(config)
                && Files.size(config) <= PretrainedFiles.MAX_FILE_BYTES
                && PretrainedFamily.isPretrained(Files.readString(config));
    }

    /**
     * Loads the Hugging Face model in {@code directory}: its {@code config.json}, its safetensors
     * (one file or shards with their index) checked name by name and shape by shape before any data
     * is read, and its {@code tokenizer.json}.
     *
     * @throws IOException naming the file (and the key) at fault; an {@link IllegalArgumentException}
     *     from the config or the weights is reported as one
     */
    public static LoadedModel load(Path directory, Device device) throws IOException {
        return load(directory, null, device);
    }

    /**
     * As {@link #load(Path, Device)}, for a classifier that is to predict {@code labels} (null: its
     * own): when they are not the config's, the config takes them ({@code id2label}, {@code
     * label2id}) and the classification head starts anew, as fine-tuning a pretrained encoder for a
     * new task does.
     */
    public static LoadedModel load(Path directory, List<String> labels, Device device) throws IOException {
        try (SafetensorsReader weights = SafetensorsReader.open(directory)) {
            PretrainedFiles files = PretrainedFiles.read(directory, weights);
            PretrainedFamily family = family(files);
            boolean newHead = labels != null
                    && family.task() == TaskType.CLASSIFICATION
                    && !labels.equals(family.summary(files.configJson()).labels());
            if (newHead) {
                files = files.withConfig(withLabels(PretrainedFamily.object(files.configJson()), labels));
            }
            PretrainedBlock block = block(family, files, newHead);
            Model model = Model.newInstance("sublinear", device);
            try {
                model.setBlock(block);
                try {
                    block.loadCheckpoint(model.getNDManager(), weights);
                } catch (IllegalArgumentException e) {
                    throw new WeightFileException(weightsFile(directory), null, e.getMessage(), e);
                }
                block.initialize(model.getNDManager(), DataType.FLOAT32, INPUT_SHAPES);
                HfTokenizer tokenizer = HfTokenizer.load(directory);
                return new LoadedModel(family.summary(files.configJson()), tokenizer, model, files);
            } catch (IOException | RuntimeException e) {
                model.close();
                throw e;
            }
        }
    }

    /**
     * Checks that {@code directory} holds a Hugging Face model this service can train and serve, by
     * loading it as a job would (on the CPU, then closed): a known model type, every weight present
     * once with the shape its config implies and readable, nothing left over, a tokenizer that loads.
     *
     * @return the model's sizes and task
     * @throws IOException naming the file (and key) at fault
     */
    public static ModelConfig check(Path directory) throws IOException {
        try (LoadedModel model = load(directory, Device.cpu())) {
            if (model.config().task() == TaskType.CAUSAL_LM
                    && !(model.tokenizer() instanceof HfTokenizer t && t.eos().isPresent())) {
                throw new WeightFileException(
                        Path.of(HfTokenizer.TOKENIZER_CONFIG_JSON),
                        "eos_token",
                        "a language model needs an end-of-text token (tokenizer_config.json's eos_token, or"
                                + " eos_token_id in config.json or generation_config.json)");
            }
            if (model.tokenizer() instanceof HfTokenizer t) {
                checkChatTemplate(directory, t);
            }
            return model.config();
        }
    }

    /**
     * Renders a short conversation with the model's chat template, where it has one, so that a template
     * the engine cannot render is refused with the model, naming the construct, not with every job.
     */
    private static void checkChatTemplate(Path directory, HfTokenizer tokenizer) throws WeightFileException {
        try {
            tokenizer.chatTemplate().ifPresent(ChatTemplate::check);
        } catch (ChatTemplateException e) {
            String file = Files.isRegularFile(directory.resolve(HfTokenizer.CHAT_TEMPLATE_JINJA))
                    ? HfTokenizer.CHAT_TEMPLATE_JINJA
                    : HfTokenizer.TOKENIZER_CONFIG_JSON;
            throw new WeightFileException(Path.of(file), "chat_template", e.getMessage(), e);
        }
    }

    /**
     * Loads a Hugging Face model from its files and parameters in DJL's format, as a checkpoint keeps
     * them (float32 master weights, for an exact resume).
     */
    public static LoadedModel load(PretrainedFiles files, InputStream parameters, Device device) throws IOException {
        PretrainedFamily family = family(files);
        PretrainedBlock block = block(family, files, false);
        Model model = Model.newInstance("sublinear", device);
        try {
            model.setBlock(block);
            block.initialize(model.getNDManager(), DataType.FLOAT32, INPUT_SHAPES);
            block.loadParameters(model.getNDManager(), new DataInputStream(parameters));
            return new LoadedModel(family.summary(files.configJson()), tokenizer(files), model, files);
        } catch (MalformedModelException | RuntimeException e) {
            model.close();
            throw new IOException("model parameters do not fit the configuration: " + e.getMessage(), e);
        } catch (IOException e) {
            model.close();
            throw e;
        }
    }

    /**
     * Saves {@code model} as a Hugging Face directory: its carried files, {@code config.json} naming
     * the architecture, and its weights as safetensors ({@code __metadata__ {"format": "pt"}}, header
     * padded to 8 bytes, shards past 5 GB with their index), each in the type it was loaded from.
     */
    static void save(LoadedModel model, Path directory) throws IOException {
        PretrainedFiles files = model.pretrained();
        PretrainedFamily family = family(files);
        JsonObject config = PretrainedFamily.object(files.configJson());
        // a classifier trained from a bare encoder (BertModel) is now a BertForSequenceClassification
        if (!config.has("architectures") || family.task() == TaskType.CLASSIFICATION) {
            JsonArray architectures = new JsonArray();
            architectures.add(family.architecture());
            if (!architectures.equals(config.get("architectures"))) {
                config.add("architectures", architectures);
                files = files.withConfig(config);
            }
        }
        files.writeTo(directory);
        Map<String, Parameter> parameters = ((PretrainedBlock) model.block()).hfParameters();
        SafetensorsWriter writer = new SafetensorsWriter(WeightType.F32);
        for (Map.Entry<String, Parameter> p : parameters.entrySet()) {
            writer.add(
                    p.getKey(),
                    files.storedType(p.getKey()),
                    p.getValue().getArray().getShape().getShape());
        }
        writer.write(
                directory,
                name -> FloatBuffer.wrap(parameters.get(name).getArray().toFloatArray()));
    }

    private static PretrainedFamily family(PretrainedFiles files) throws IOException {
        try {
            return PretrainedFamily.of(files.configJson());
        } catch (IllegalArgumentException e) {
            throw new WeightFileException(Path.of(PretrainedFiles.CONFIG), null, e.getMessage(), e);
        }
    }

    /** {@code config} predicting {@code labels}, in transformers' id2label and label2id. */
    private static JsonObject withLabels(JsonObject config, List<String> labels) {
        JsonObject id2label = new JsonObject();
        JsonObject label2id = new JsonObject();
        for (int i = 0; i < labels.size(); i++) {
            id2label.addProperty(String.valueOf(i), labels.get(i));
            label2id.addProperty(labels.get(i), i);
        }
        config.add("id2label", id2label);
        config.add("label2id", label2id);
        config.remove("num_labels");
        return config;
    }

    /** The file that lists the weights: the index of a sharded model, else the one safetensors file. */
    private static Path weightsFile(Path directory) {
        Path index = Path.of(SafetensorsReader.INDEX_FILE);
        return Files.exists(directory.resolve(index)) ? index : Path.of(SafetensorsReader.SINGLE_FILE);
    }

    private static PretrainedBlock block(PretrainedFamily family, PretrainedFiles files, boolean newHead)
            throws IOException {
        try {
            return family.block(files.configJson(), newHead);
        } catch (IllegalArgumentException e) {
            throw new WeightFileException(Path.of(PretrainedFiles.CONFIG), null, e.getMessage(), e);
        }
    }

    /**
     * The tokenizer of a Hugging Face model kept as a zip (an upload as stored, a fine-tuned model) or
     * of a checkpoint of one (its files under {@code pretrained/}), read without keeping the weights.
     *
     * @throws IOException when the zip holds no Hugging Face model's config and tokenizer
     */
    public static HfTokenizer tokenizer(InputStream zip) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        try (ZipInputStream in = new ZipInputStream(zip)) {
            for (ZipEntry entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
                String name = entry.getName().startsWith(CHECKPOINT_FOLDER)
                        ? entry.getName().substring(CHECKPOINT_FOLDER.length())
                        : entry.getName();
                if (PretrainedFiles.CARRIED.contains(name)) {
                    byte[] bytes = in.readNBytes((int) PretrainedFiles.MAX_FILE_BYTES + 1);
                    if (bytes.length > PretrainedFiles.MAX_FILE_BYTES) {
                        throw new IOException(name + " is larger than " + PretrainedFiles.MAX_FILE_BYTES + " bytes");
                    }
                    files.put(name, bytes);
                }
            }
        }
        if (!files.containsKey(PretrainedFiles.CONFIG)) {
            throw new IOException("no " + PretrainedFiles.CONFIG + ": not a Hugging Face model");
        }
        return tokenizer(new PretrainedFiles(files, Map.of()));
    }

    /** The tokenizer of files held in memory: the tokenizers library reads them from a folder. */
    public static HfTokenizer tokenizer(PretrainedFiles files) throws IOException {
        Path folder = Files.createTempDirectory("sublinear-tokenizer-");
        try {
            files.writeTo(folder);
            return HfTokenizer.load(folder);
        } finally {
            try (Stream<Path> walk = Files.walk(folder)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
