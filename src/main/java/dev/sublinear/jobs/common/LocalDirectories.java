package dev.sublinear.jobs.common;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * Per-process scratch space (not shared between processes, unlike the artifact store).
 *
 * @param work where a worker unpacks a job's inputs while it runs
 * @param models where models are unpacked for inference
 */
public record LocalDirectories(Path work, Path models) {

    /** Deletes a directory and everything in it; nothing happens if it is absent. */
    public static void deleteTree(Path directory) {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(directory)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + directory, e);
        }
    }
}
