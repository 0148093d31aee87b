package dev.sublinear.training.run;

import ai.djl.Device;
import com.google.gson.Gson;
import dev.sublinear.optimizer.StatefulOptimizer;
import dev.sublinear.training.model.LoadedModel;
import dev.sublinear.training.model.ModelConfig;
import dev.sublinear.training.model.PretrainedFiles;
import dev.sublinear.training.model.PretrainedModels;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * A checkpoint: a zip of the model (config and parameters), the optimizer's state (for a {@link
 * StatefulOptimizer}; a checkpoint without it resumes with fresh optimizer state), and where the run
 * stood. There is no random state to save: batches are a function of (seed, epoch, index) and
 * the models have no dropout.
 */
public final class Checkpoint {

    static final String STATE = "state.json";
    static final String PARAMETERS = LoadedModel.PARAMETERS_FILE;
    static final String CONFIG = LoadedModel.CONFIG_FILE;
    static final String OPTIMIZER = "optimizer.state";
    /** A Hugging Face model's carried files, under their names, and its weights' stored types. */
    static final String PRETRAINED = PretrainedModels.CHECKPOINT_FOLDER;

    static final String WEIGHT_TYPES = "weight_types.json";
    private static final Gson GSON = new Gson();
    /** Largest entry read back (a checkpoint of lm-small is about 45 MB). */
    private static final long MAX_ENTRY_BYTES = 2L << 30;

    /** Where the run stood. */
    record Position(int step, int epoch, int batchIndex, long trainedTokens, List<Float> losses, String optimizer) {}

    private Checkpoint() {}

    /** The model saved in checkpoint {@code name}: for inference, download or a new run. */
    public static LoadedModel loadModel(CheckpointStore store, String name, Device device) throws IOException {
        return read(store, name).model(device);
    }

    /**
     * Writes the model of a checkpoint of a Hugging Face model into {@code directory} as the Hugging
     * Face directory it came from (its weights in their stored types); false, writing nothing, for a
     * checkpoint of one of our models.
     */
    public static boolean exportPretrained(InputStream checkpoint, String name, Path directory) throws IOException {
        Contents contents = read(checkpoint, name);
        if (contents.pretrained() == null) {
            return false;
        }
        try (LoadedModel model = contents.model(Device.cpu())) {
            model.save(directory);
        }
        return true;
    }

    static String name(int step) {
        return String.format("step-%08d", step);
    }

    static void write(CheckpointStore store, String name, LoadedModel model, Object optimizer, Position position)
            throws IOException {
        store.write(name, out -> {
            ZipOutputStream zip = new ZipOutputStream(out);
            entry(zip, STATE, GSON.toJson(position).getBytes(StandardCharsets.UTF_8));
            entry(zip, CONFIG, model.configJson().getBytes(StandardCharsets.UTF_8));
            PretrainedFiles pretrained = model.pretrained();
            if (pretrained != null) {
                for (Map.Entry<String, byte[]> file : pretrained.files().entrySet()) {
                    entry(zip, PRETRAINED + file.getKey(), file.getValue());
                }
                entry(
                        zip,
                        PRETRAINED + WEIGHT_TYPES,
                        pretrained.weightTypesJson().getBytes(StandardCharsets.UTF_8));
            }
            zip.putNextEntry(new ZipEntry(PARAMETERS));
            model.writeParameters(zip);
            zip.closeEntry();
            if (optimizer instanceof StatefulOptimizer stateful) {
                zip.putNextEntry(new ZipEntry(OPTIMIZER));
                stateful.saveState(zip, model.parameterNames());
                zip.closeEntry();
            }
            zip.finish();
        });
    }

    /** A checkpoint read back into memory; {@code pretrained} is null for a model of ours. */
    record Contents(
            Position position,
            ModelConfig config,
            PretrainedFiles pretrained,
            byte[] parameters,
            byte[] optimizerState) {

        InputStream parametersStream() {
            return new ByteArrayInputStream(parameters);
        }

        /** The model as it was saved. */
        LoadedModel model(Device device) throws IOException {
            return pretrained == null
                    ? LoadedModel.load(config, parametersStream(), device)
                    : PretrainedModels.load(pretrained, parametersStream(), device);
        }
    }

    static Contents read(CheckpointStore store, String name) throws IOException {
        return read(store.open(name), name);
    }

    private static Contents read(InputStream in, String name) throws IOException {
        Map<String, byte[]> entries = new HashMap<>();
        try (ZipInputStream zip = new ZipInputStream(in)) {
            ZipEntry e;
            while ((e = zip.getNextEntry()) != null) {
                entries.put(e.getName(), readLimited(zip, e.getName()));
            }
        }
        for (String required : new String[] {STATE, CONFIG, PARAMETERS}) {
            if (!entries.containsKey(required)) {
                throw new IOException("checkpoint " + name + " has no " + required);
            }
        }
        Position position = GSON.fromJson(new String(entries.get(STATE), StandardCharsets.UTF_8), Position.class);
        ModelConfig config;
        try {
            config = LoadedModel.parseConfig(new String(entries.get(CONFIG), StandardCharsets.UTF_8));
        } catch (IllegalArgumentException e) {
            throw new IOException("checkpoint " + name + " has an invalid model configuration: " + e.getMessage(), e);
        }
        return new Contents(position, config, pretrained(entries), entries.get(PARAMETERS), entries.get(OPTIMIZER));
    }

    private static PretrainedFiles pretrained(Map<String, byte[]> entries) throws IOException {
        Map<String, byte[]> files = new LinkedHashMap<>();
        entries.forEach((name, bytes) -> {
            if (name.startsWith(PRETRAINED) && !name.equals(PRETRAINED + WEIGHT_TYPES)) {
                files.put(name.substring(PRETRAINED.length()), bytes);
            }
        });
        if (files.isEmpty()) {
            return null;
        }
        byte[] types = entries.get(PRETRAINED + WEIGHT_TYPES);
        try {
            return new PretrainedFiles(
                    files,
                    types == null
                            ? Map.of()
                            : PretrainedFiles.parseWeightTypes(new String(types, StandardCharsets.UTF_8)));
        } catch (RuntimeException e) {
            throw new IOException("checkpoint has invalid Hugging Face files: " + e.getMessage(), e);
        }
    }

    private static void entry(ZipOutputStream zip, String name, byte[] bytes) throws IOException {
        zip.putNextEntry(new ZipEntry(name));
        zip.write(bytes);
        zip.closeEntry();
    }

    private static byte[] readLimited(InputStream in, String entry) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[1 << 16];
        long total = 0;
        int n;
        while ((n = in.read(buffer)) > 0) {
            total += n;
            if (total > MAX_ENTRY_BYTES) {
                throw new IOException("checkpoint entry " + entry + " is larger than " + MAX_ENTRY_BYTES + " bytes");
            }
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }
}
