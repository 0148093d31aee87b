package dev.sublinear.storage;

import java.time.Instant;

/**
 * A stored artifact.
 *
 * @param key its key
 * @param bytes its size
 * @param sha256 hex SHA-256 of its content
 * @param modified when it was written
 */
public record ArtifactInfo(String key, long bytes, String sha256, Instant modified) {}
