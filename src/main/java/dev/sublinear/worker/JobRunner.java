package dev.sublinear.worker;

import ai.djl.Device;
import dev.sublinear.jobs.BaseModel;
import dev.sublinear.jobs.CheckpointRecord;
import dev.sublinear.jobs.JobRecord;
import dev.sublinear.jobs.TrainingSettings;
import dev.sublinear.jobs.common.JobsProperties;
import dev.sublinear.jobs.common.LocalDirectories;
import dev.sublinear.jobs.files.FileRecord;
import dev.sublinear.jobs.queue.Attempt;
import dev.sublinear.storage.ArtifactInfo;
import dev.sublinear.storage.ArtifactStore;
import dev.sublinear.storage.ArtifactTooLargeException;
import dev.sublinear.training.PrivateFiles;
import dev.sublinear.training.model.ModelArchive;
import dev.sublinear.training.run.ModelSource;
import dev.sublinear.training.run.TrainingSpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.springframework.stereotype.Component;

/**
 * Turns a claimed attempt into a training spec on local files, and a trained model into an archive
 * in the artifact store. The training itself and the attempt's writes while it runs are
 * {@link JobExecution}'s.
 */
@Component
class JobRunner {

    final ArtifactStore artifacts;
    final LocalDirectories directories;
    private final long maxModelBytes;

    JobRunner(ArtifactStore artifacts, LocalDirectories directories, JobsProperties properties) {
        this.artifacts = artifacts;
        this.directories = directories;
        this.maxModelBytes = properties.maxModelBytes();
    }

    /** The job's inputs, copied to {@code workDirectory}, as a training spec. */
    TrainingSpec spec(Attempt attempt, List<Device> devices, Path workDirectory, ArtifactCheckpointStore store)
            throws IOException {
        JobRecord job = attempt.job();
        PrivateFiles.createFolders(workDirectory);
        Path training = copy(attempt.trainingFile().artifactKey(), workDirectory.resolve("training.jsonl"));
        Optional<FileRecord> validationFile = attempt.validationFile();
        Path validation = validationFile.isEmpty()
                ? null
                : copy(validationFile.get().artifactKey(), workDirectory.resolve("validation.jsonl"));
        ModelSource source = modelSource(attempt.baseModel(), workDirectory);
        TrainingSpec spec = new TrainingSpec(
                job.task(),
                source,
                training,
                validation,
                TrainingSettings.hyperparameters(job.settings()),
                TrainingSettings.optimizer(job.settings()),
                devices.toArray(Device[]::new),
                job.settings().seed(),
                store,
                null,
                workDirectory.resolve("output"));
        return job.latestCheckpoint() == null ? spec : spec.resumingFrom(job.latestCheckpoint());
    }

    private ModelSource modelSource(BaseModel base, Path workDirectory) throws IOException {
        if (base instanceof BaseModel.Catalog c) {
            return new ModelSource.Catalog(c.name());
        }
        if (base instanceof BaseModel.FineTuned f) {
            return new ModelSource.Saved(unpack(f.model().artifactKey(), workDirectory.resolve("base")));
        }
        if (base instanceof BaseModel.System s) {
            return new ModelSource.Saved(s.directory()); // the operator's copy, read in place
        }
        if (base instanceof BaseModel.Uploaded u) {
            return new ModelSource.Saved(unpack(u.file().artifactKey(), workDirectory.resolve("base")));
        }
        CheckpointRecord c = ((BaseModel.FromCheckpoint) base).checkpoint();
        return new ModelSource.FromCheckpoint(
                new ArtifactCheckpointStore(artifacts, c.jobId(), name -> {
                    throw new IllegalStateException("a base checkpoint is read-only");
                }),
                c.name());
    }

    private Path copy(String key, Path target) throws IOException {
        try (InputStream in = artifacts.open(key);
                OutputStream out = PrivateFiles.createFile(target)) {
            in.transferTo(out);
        }
        return target;
    }

    private Path unpack(String key, Path directory) throws IOException {
        try (InputStream in = artifacts.open(key)) {
            ModelArchive.extract(in, directory, maxModelBytes);
        }
        return directory;
    }

    /** A trained model's archive in the artifact store. */
    record StoredModel(String artifactKey, long bytes) {}

    /**
     * Stores the trained model's archive. The key is the claim's own: a zombie attempt of the same
     * job (its lease lost) never overwrites or deletes the model another attempt registered.
     */
    StoredModel storeModel(JobRecord job, Path outputDirectory, String claim) throws IOException {
        String key = "models/" + job.id() + "-" + claim + ".zip";
        // counted as inference counts it, unpacked: a model stored is one inference loads
        if (ModelArchive.unpackedBytes(outputDirectory) > maxModelBytes) {
            throw new ArtifactTooLargeException(key, maxModelBytes);
        }
        Path archive = outputDirectory.resolveSibling("model.zip");
        try (OutputStream out = PrivateFiles.createFile(archive)) {
            ModelArchive.write(outputDirectory, out);
        }
        ArtifactInfo info;
        try (InputStream in = Files.newInputStream(archive)) {
            info = artifacts.put(key, in, maxModelBytes);
        }
        return new StoredModel(key, info.bytes());
    }

    /**
     * A claim's own folder. Attempt numbers can repeat (a claim the database lost in a crash, an
     * attempt given back uncharged), so the claim's random tag keeps a leftover from failing it.
     */
    Path workDirectory(JobRecord job, String claim) {
        return directories.work().resolve(job.id() + "-attempt-" + job.claim().attempt() + "-" + claim);
    }
}
