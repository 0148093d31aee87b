package dev.sublinear.training.run;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;

/** Checkpoints as files in a directory: written to a temporary file, forced to disk, then renamed. */
public final class DirectoryCheckpointStore implements CheckpointStore {

    private static final String SUFFIX = ".ckpt";
    private final Path directory;

    public DirectoryCheckpointStore(Path directory) throws IOException {
        this.directory = Files.createDirectories(directory);
    }

    @Override
    public void write(String name, Content content) throws IOException {
        Path target = file(name);
        Path temporary = Files.createTempFile(directory, ".writing-", ".tmp");
        try {
            try (OutputStream out = Files.newOutputStream(temporary);
                    java.nio.channels.FileChannel channel = java.nio.channels.FileChannel.open(
                            temporary, java.nio.file.StandardOpenOption.WRITE)) {
                content.writeTo(out);
                out.flush();
                channel.force(true);
            }
            try {
                Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temporary, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(temporary);
        }
    }

    @Override
    public InputStream open(String name) throws IOException {
        return Files.newInputStream(file(name));
    }

    @Override
    public List<String> list() throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.filter(p -> p.getFileName().toString().endsWith(SUFFIX))
                    .sorted((a, b) -> {
                        try {
                            int byTime = Files.getLastModifiedTime(a).compareTo(Files.getLastModifiedTime(b));
                            return byTime != 0 ? byTime : a.compareTo(b);
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    })
                    .map(p -> {
                        String f = p.getFileName().toString();
                        return f.substring(0, f.length() - SUFFIX.length());
                    })
                    .toList();
        }
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
