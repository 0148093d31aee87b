package dev.sublinear.training.run;

import dev.sublinear.storage.AtomicFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Checkpoints as files in a directory, each written whole or not at all ({@link AtomicFiles}). */
public final class DirectoryCheckpointStore implements CheckpointStore {

    private static final String SUFFIX = ".ckpt";
    private final Path directory;

    public DirectoryCheckpointStore(Path directory) throws IOException {
        this.directory = Files.createDirectories(directory);
    }

    @Override
    public void write(String name, Content content) throws IOException {
        AtomicFiles.write(file(name), content::writeTo);
    }

    @Override
    public InputStream open(String name) throws IOException {
        return Files.newInputStream(file(name));
    }

    @Override
    public List<String> list() throws IOException {
        return AtomicFiles.list(directory).stream()
                .filter(p -> p.getFileName().toString().endsWith(SUFFIX))
                .sorted((a, b) -> {
                    try {
                        int byTime = Files.getLastModifiedTime(a).compareTo(Files.getLastModifiedTime(b));
                        return byTime != 0 ? byTime : a.compareTo(b);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                })
                .map(p -> {
                    String f = p.getFileName().toString();
                    return f.substring(0, f.length() - SUFFIX.length());
                })
                .toList();
    }

    @Override
    public void delete(String name) throws IOException {
        Files.deleteIfExists(file(name));
    }

    @Override
    public long size(String name) throws IOException {
        return Files.size(file(name));
    }

    private Path file(String name) {
        if (!name.matches("[A-Za-z0-9._-]+") || name.startsWith(".")) {
            throw new IllegalArgumentException("invalid checkpoint name '" + name + "'");
        }
        return directory.resolve(name + SUFFIX);
    }
}
