package dev.sublinear.storage;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * Named byte streams. Keys are relative paths of segments made of letters, digits, '.', '_' and
 * '-' (no '..', no leading '/'); writes are atomic: a reader sees a whole artifact or none.
 */
public interface ArtifactStore {

    /**
     * Stores {@code content} under {@code key}, replacing what was there.
     *
     * @param maxBytes the most it may hold; more fails with {@link ArtifactTooLargeException} and
     *     nothing is stored
     */
    ArtifactInfo put(String key, InputStream content, long maxBytes) throws IOException;

    /**
     * Stores what {@code content} writes under {@code key}, as {@link #put} stores a stream: for
     * content made by writing (a checkpoint) rather than there to be read.
     *
     * @param maxBytes as for {@link #put}: a write past it fails and nothing is stored
     */
    ArtifactInfo write(String key, AtomicFiles.Content content, long maxBytes) throws IOException;

    /** @throws java.nio.file.NoSuchFileException if there is no such artifact */
    InputStream open(String key) throws IOException;

    Optional<ArtifactInfo> info(String key) throws IOException;

    /** @return whether something was deleted */
    boolean delete(String key) throws IOException;

    /** Artifacts whose keys start with {@code prefix} (a folder, e.g. "tenant-1/files/"), by key. */
    List<ArtifactInfo> list(String prefix) throws IOException;

    /** Whether an artifact can be written now (for health checks, and workers before they claim). */
    boolean writable();

    /**
     * Deletes what writes that never finished (a process killed mid-upload) left behind, untouched
     * since {@code before}; a write in progress is never older.
     *
     * @return what was deleted
     */
    List<ArtifactInfo> deleteAbandonedWrites(Instant before) throws IOException;
}
