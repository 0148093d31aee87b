package dev.sublinear.training.model;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * A model as one file: a zip of {@code config.json} (architecture, tokenizer, labels) and
 * {@code model.params} (DJL parameters), or of a Hugging Face model directory. Archives come from
 * users, so reading one trusts nothing (see {@link PretrainedArchive}).
 */
public final class ModelArchive {

    /** More entries than any model directory has: the folders and extras of a real one are a few dozen. */
    private static final int MAX_ENTRIES = 10_000;

    private static final long CONFIG_LIMIT = 1 << 20;

    private ModelArchive() {}

    /** Writes {@code model} as an archive. */
    public static void write(LoadedModel model, OutputStream out) throws IOException {
        ZipOutputStream zip = new ZipOutputStream(out);
        zip.putNextEntry(new ZipEntry(LoadedModel.CONFIG_FILE));
        zip.write(model.configJson().getBytes(StandardCharsets.UTF_8));
        zip.closeEntry();
        zip.putNextEntry(new ZipEntry(LoadedModel.PARAMETERS_FILE));
        model.writeParameters(zip);
        zip.closeEntry();
        zip.finish();
    }

    /** Writes a model saved by {@link LoadedModel#save(Path)} as an archive, without loading it. */
    public static void write(Path directory, OutputStream out) throws IOException {
        if (PretrainedModels.isPretrained(directory)) {
            PretrainedArchive.zip(directory, out); // a Hugging Face directory, as from_pretrained reads it
            return;
        }
        ZipOutputStream zip = new ZipOutputStream(out);
        for (String name : List.of(LoadedModel.CONFIG_FILE, LoadedModel.PARAMETERS_FILE)) {
            zip.putNextEntry(new ZipEntry(name));
            Files.copy(directory.resolve(name), zip);
            zip.closeEntry();
        }
        zip.finish();
    }

    /**
     * Extracts a model archive into {@code directory} (absent or empty) and checks that it holds a
     * model: ours ({@code config.json} and {@code model.params}, the configuration valid) or a Hugging
     * Face directory (a zip or tar.gz, see {@link PretrainedArchive}; its files are checked when it is
     * loaded). Every archive goes through the one extractor that trusts nothing.
     *
     * @param maxBytes the most the extracted files may take together (see {@link #unpackedBytes})
     * @throws InvalidArchiveException what is wrong with the archive, in plain words
     */
    public static void extract(InputStream in, Path directory, long maxBytes) throws IOException {
        PretrainedArchive.extract(in, directory, new PretrainedArchive.Limits(maxBytes, maxBytes, MAX_ENTRIES));
        Path config = directory.resolve(LoadedModel.CONFIG_FILE);
        if (!Files.isRegularFile(config)) {
            throw new InvalidArchiveException("missing " + LoadedModel.CONFIG_FILE);
        }
        if (PretrainedModels.isPretrained(directory)) {
            return;
        }
        if (!Files.isRegularFile(directory.resolve(LoadedModel.PARAMETERS_FILE))) {
            throw new InvalidArchiveException("missing " + LoadedModel.PARAMETERS_FILE
                    + " (or, for a Hugging Face model, a model_type in " + LoadedModel.CONFIG_FILE + ")");
        }
        if (Files.size(config) > CONFIG_LIMIT) {
            throw new InvalidArchiveException(
                    "entry '" + LoadedModel.CONFIG_FILE + "' is larger than " + CONFIG_LIMIT + " bytes");
        }
        try {
            LoadedModel.readConfig(config);
        } catch (IOException e) {
            throw new InvalidArchiveException(e.getMessage());
        }
    }

    /**
     * What the model saved in {@code directory} takes unpacked: the bytes {@link #extract} counts
     * against its limit when it unpacks the model's archive.
     */
    public static long unpackedBytes(Path directory) throws IOException {
        long total = 0;
        try (Stream<Path> files = Files.list(directory)) {
            for (Path file : files.filter(Files::isRegularFile).toList()) {
                total += Files.size(file);
            }
        }
        return total;
    }

    /**
     * The configuration in a model archive or a checkpoint (both zips with a {@code config.json}),
     * read without unpacking the parameters when the configuration comes first, as both writers put it.
     *
     * @throws InvalidArchiveException when there is no valid configuration
     */
    public static ModelConfig readConfig(InputStream in) throws IOException {
        try (ZipInputStream zip = new ZipInputStream(in)) {
            ZipEntry entry;
            while ((entry = zip.getNextEntry()) != null) {
                if (entry.getName().equals(LoadedModel.CONFIG_FILE)) {
                    byte[] json = zip.readNBytes((int) CONFIG_LIMIT + 1);
                    if (json.length > CONFIG_LIMIT) {
                        throw new InvalidArchiveException(
                                "entry '" + entry.getName() + "' is larger than " + CONFIG_LIMIT + " bytes");
                    }
                    try {
                        return LoadedModel.parseConfig(new String(json, StandardCharsets.UTF_8));
                    } catch (RuntimeException e) {
                        throw new InvalidArchiveException(e.getMessage());
                    }
                }
            }
        } catch (ZipException e) {
            throw new InvalidArchiveException("not a valid zip file (" + e.getMessage() + ")");
        }
        throw new InvalidArchiveException("missing " + LoadedModel.CONFIG_FILE);
    }

    /** An archive that is not a usable model: the user's error. */
    public static final class InvalidArchiveException extends IOException {
        public InvalidArchiveException(String message) {
            super("invalid model archive: " + message);
        }
    }
}
