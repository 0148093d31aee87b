package dev.sublinear.jobs;

import java.nio.file.Path;

/**
 * Per-process scratch space (not shared between processes, unlike the artifact store).
 *
 * @param work where a worker unpacks a job's inputs while it runs
 * @param models where models are unpacked for inference
 */
public record LocalDirectories(Path work, Path models) {}
