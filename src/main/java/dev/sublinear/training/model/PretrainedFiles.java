package dev.sublinear.training.model;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.JsonObject;
import com.google.gson.reflect.TypeToken;
import dev.sublinear.training.PrivateFiles;
import dev.sublinear.training.weights.SafetensorsReader;
import dev.sublinear.training.weights.TensorInfo;
import dev.sublinear.training.weights.WeightType;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a Hugging Face model directory holds besides its weights, kept with a model through training
 * so that its export is the directory it came from: {@code config.json}, the tokenizer's files and
 * the generation config, byte for byte, and the type each weight was stored in (bf16 in, bf16 out).
 *
 * @param files the small files by name, {@code config.json} always among them
 * @param weightTypes each weight's stored type by Hugging Face name
 */
public record PretrainedFiles(Map<String, byte[]> files, Map<String, WeightType> weightTypes) {

    public static final String CONFIG = "config.json";

    /** The files carried along, where the directory has them; weights are the safetensors' business. */
    public static final List<String> CARRIED = List.of(
            CONFIG,
            "generation_config.json",
            "tokenizer.json",
            "tokenizer_config.json",
            "special_tokens_map.json",
            "added_tokens.json",
            "chat_template.jinja");

    /** A small file larger than this is not a config or tokenizer (Qwen's tokenizer.json is 11 MB). */
    public static final long MAX_FILE_BYTES = 64L << 20;

    private static final Gson GSON = new Gson();
    /** Pretty-printed, as transformers writes its configs. */
    private static final Gson PRETTY = new GsonBuilder().setPrettyPrinting().create();

    public PretrainedFiles {
        if (!files.containsKey(CONFIG)) {
            throw new IllegalArgumentException("a Hugging Face model needs its " + CONFIG);
        }
        files = Collections.unmodifiableMap(new LinkedHashMap<>(files));
        weightTypes = Collections.unmodifiableMap(new LinkedHashMap<>(weightTypes));
    }

    /** Reads the carried files of {@code directory} and the stored types of its weights. */
    public static PretrainedFiles read(Path directory, SafetensorsReader weights) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        for (String name : CARRIED) {
            Path file = directory.resolve(name);
            if (Files.isRegularFile(file)) {
                if (Files.size(file) > MAX_FILE_BYTES) {
                    throw new IOException(name + " is larger than " + MAX_FILE_BYTES + " bytes");
                }
                files.put(name, Files.readAllBytes(file));
            }
        }
        if (!files.containsKey(CONFIG)) {
            throw new IOException("no " + CONFIG + ": a Hugging Face model directory needs one");
        }
        Map<String, WeightType> types = new LinkedHashMap<>();
        for (TensorInfo tensor : weights.tensors()) {
            types.put(tensor.name(), tensor.type());
        }
        return new PretrainedFiles(files, types);
    }

    /** The {@code config.json} text. */
    public String configJson() {
        return new String(files.get(CONFIG), StandardCharsets.UTF_8);
    }

    /** The same files with another {@code config.json}. */
    public PretrainedFiles withConfig(JsonObject config) {
        Map<String, byte[]> changed = new LinkedHashMap<>(files);
        changed.put(CONFIG, (PRETTY.toJson(config) + "\n").getBytes(StandardCharsets.UTF_8));
        return new PretrainedFiles(changed, weightTypes);
    }

    /**
     * The type to store a weight in: the type it came in; a weight the base did not have (a new head)
     * takes the base's most common type.
     */
    public WeightType storedType(String name) {
        WeightType type = weightTypes.get(name);
        if (type != null) {
            return type;
        }
        Map<WeightType, Integer> counts = new LinkedHashMap<>();
        weightTypes.values().forEach(t -> counts.merge(t, 1, Integer::sum));
        return counts.entrySet().stream()
                .max(Map.Entry.comparingByValue())
                .map(Map.Entry::getKey)
                .orElse(WeightType.F32);
    }

    /** Writes the carried files into {@code directory} (created), owner-only: they are a tenant's data. */
    public void writeTo(Path directory) throws IOException {
        PrivateFiles.createFolders(directory);
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            Path target = directory.resolve(file.getKey());
            Files.deleteIfExists(target);
            try (OutputStream out = PrivateFiles.createFile(target)) {
                out.write(file.getValue());
            }
        }
    }

    /** The weight types as JSON, for a checkpoint. */
    public String weightTypesJson() {
        Map<String, String> names = new LinkedHashMap<>();
        weightTypes.forEach((name, type) -> names.put(name, type.name()));
        return GSON.toJson(names);
    }

    /** Weight types written by {@link #weightTypesJson()}. */
    public static Map<String, WeightType> parseWeightTypes(String json) {
        Map<String, String> names = GSON.fromJson(json, new TypeToken<Map<String, String>>() {}.getType());
        Map<String, WeightType> types = new LinkedHashMap<>();
        names.forEach((name, type) -> types.put(name, WeightType.valueOf(type)));
        return types;
    }
}
