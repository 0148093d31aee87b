package dev.sublinear.worker;

import dev.sublinear.storage.ArtifactInfo;
import dev.sublinear.storage.ArtifactStore;
import dev.sublinear.training.run.CheckpointStore;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.NoSuchFileException;
import java.util.List;
import java.util.function.Consumer;

/**
 * A job's checkpoints in the artifact store, under {@code jobs/<job>/checkpoints/}, so that any
 * worker sharing the store can resume the job. A checkpoint is written straight into the store.
 */
final class ArtifactCheckpointStore implements CheckpointStore {

    /**
     * Largest checkpoint accepted (lm-small's is about 45 MB). Not the model limit
     * ({@code sublinear.jobs.max-model-bytes}): a checkpoint holds its optimizer's state besides the
     * model, and inference never loads one.
     */
    private static final long MAX_BYTES = 16L << 30;

    private final ArtifactStore artifacts;
    private final String prefix;
    private final Consumer<String> onDelete;

    /** @param onDelete told the name of each checkpoint deleted (the run keeps only the newest few) */
    ArtifactCheckpointStore(ArtifactStore artifacts, String jobId, Consumer<String> onDelete) {
        this.artifacts = artifacts;
        this.prefix = prefix(jobId);
        this.onDelete = onDelete;
    }

    static String prefix(String jobId) {
        return "jobs/" + jobId + "/checkpoints/";
    }

    String key(String name) {
        return prefix + name;
    }

    @Override
    public void write(String name, Content content) throws IOException {
        artifacts.write(key(name), content::writeTo, MAX_BYTES);
    }

    @Override
    public InputStream open(String name) throws IOException {
        return artifacts.open(key(name));
    }

    @Override
    public List<String> list() throws IOException {
        return artifacts.list(prefix).stream()
                .map(a -> a.key().substring(prefix.length()))
                .sorted()
                .toList();
    }

    @Override
    public void delete(String name) throws IOException {
        onDelete.accept(name);
        artifacts.delete(key(name));
    }

    @Override
    public long size(String name) throws IOException {
        return artifacts.info(key(name)).map(ArtifactInfo::bytes).orElseThrow(() -> new NoSuchFileException(key(name)));
    }
}
