package dev.sublinear.training.model;

import dev.sublinear.training.PrivateFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * A model as one file: a zip of {@code config.json} (architecture, tokenizer, labels) and
 * {@code model.params} (DJL parameters). Archives come from users, so reading one trusts nothing:
 * only those two names, no directories or paths, each once, within a size limit.
 */
public final class ModelArchive {

    private static final Set<String> ENTRIES = Set.of(LoadedModel.CONFIG_FILE, LoadedModel.PARAMETERS_FILE);
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
        ZipOutputStream zip = new ZipOutputStream(out);
        for (String name : List.of(LoadedModel.CONFIG_FILE, LoadedModel.PARAMETERS_FILE)) {
            zip.putNextEntry(new ZipEntry(name));
            Files.copy(directory.resolve(name), zip);
            zip.closeEntry();
        }
        zip.finish();
    }

    /**
     * Extracts an archive into {@code directory} (created, must be empty or absent) and checks its
     * configuration, so that {@link LoadedModel#load(Path, ai.djl.Device)} can read it.
     *
     * @param maxBytes the most the extracted files may take together (see {@link #unpackedBytes})
     * @throws InvalidArchiveException what is wrong with the archive, in plain words
     */
    public static void extract(InputStream in, Path directory, long maxBytes) throws IOException {
        Files.createDirectories(directory);
        Set<String> seen = new HashSet<>();
        long total = 0;
        try (ZipInputStream zip = new ZipInputStream(in)) {
            ZipEntry entry;
            while ((entry = zip.getNextEntry()) != null) {
                String name = entry.getName();
                if (!ENTRIES.contains(name)) {
                    throw new InvalidArchiveException("unexpected entry '" + name + "': a model archive holds only "
                            + LoadedModel.CONFIG_FILE + " and " + LoadedModel.PARAMETERS_FILE + ", at its top level");
                }
                if (!seen.add(name)) {
                    throw new InvalidArchiveException("entry '" + name + "' appears twice");
                }
                long left = maxBytes - total;
                long limit = name.equals(LoadedModel.CONFIG_FILE) ? Math.min(CONFIG_LIMIT, left) : left;
                total += copyLimited(zip, directory.resolve(name), limit, name);
            }
        } catch (ZipException e) {
            throw new InvalidArchiveException("not a valid zip file (" + e.getMessage() + ")");
        }
        for (String required : ENTRIES) {
            if (!seen.contains(required)) {
                throw new InvalidArchiveException("missing " + required);
            }
        }
        try {
            LoadedModel.readConfig(directory.resolve(LoadedModel.CONFIG_FILE));
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
        for (String name : ENTRIES) {
            total += Files.size(directory.resolve(name));
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

    private static long copyLimited(InputStream in, Path target, long limit, String name) throws IOException {
        long written = 0;
        byte[] buffer = new byte[1 << 16];
        try (OutputStream out = PrivateFiles.createFile(target)) { // weights are a tenant's data
            int n;
            while ((n = in.read(buffer)) > 0) {
                written += n;
                if (written > limit) {
                    throw new InvalidArchiveException(
                            "entry '" + name + "' unpacks to more than the allowed " + limit + " bytes");
                }
                out.write(buffer, 0, n);
            }
        }
        return written;
    }

    /** An archive that is not a usable model: the user's error. */
    public static final class InvalidArchiveException extends IOException {
        public InvalidArchiveException(String message) {
            super("invalid model archive: " + message);
        }
    }
}
