package dev.sublinear.jobs.common;

import java.nio.file.Path;

/**
 * Per-process scratch space (not shared between processes, unlike the artifact store).
 *
 * @param work where a worker unpacks a job's inputs while it runs
 * @param models where models are unpacked for inference
 */
public record LocalDirectories(Path work, Path models) {

    /** Deletes a directory and everything in it; nothing happens if it is absent. */
    public static void deleteTree(Path directory) {
        if (!java.nio.file.Files.exists(directory)) {
            return;
        }
        try (java.util.stream.Stream<Path> paths = java.nio.file.Files.walk(directory)) {
            for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                java.nio.file.Files.deleteIfExists(p);
            }
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot delete " + directory, e);
        }
    }
}
