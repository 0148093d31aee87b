package dev.sublinear.jobs.models;

import dev.sublinear.storage.ArtifactInfo;
import dev.sublinear.storage.ArtifactStore;
import dev.sublinear.training.run.CheckpointStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.util.List;

/**
 * One checkpoint of the artifact store, read-only, for inference with its model: whatever name it is
 * asked for, it reads the checkpoint stored under its key.
 */
final class StoredCheckpoint implements CheckpointStore {

    private final ArtifactStore artifacts;
    private final String key;

    StoredCheckpoint(ArtifactStore artifacts, String key) {
        this.artifacts = artifacts;
        this.key = key;
    }

    @Override
    public void write(String name, Content content) {
        throw new UnsupportedOperationException("a checkpoint read for inference is read-only");
    }

    @Override
    public InputStream open(String name) throws IOException {
        return artifacts.open(key);
    }

    @Override
    public List<String> list() {
        return List.of(key);
    }

    @Override
    public void delete(String name) {
        throw new UnsupportedOperationException("a checkpoint read for inference is read-only");
    }

    @Override
    public long size(String name) throws IOException {
        return artifacts.info(key).map(ArtifactInfo::bytes).orElseThrow(() -> new NoSuchFileException(key));
    }
}
