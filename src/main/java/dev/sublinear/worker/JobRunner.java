package dev.sublinear.worker;

import ai.djl.Device;
import dev.sublinear.jobs.BaseModel;
import dev.sublinear.jobs.BaseModels;
import dev.sublinear.jobs.CheckpointRecord;
import dev.sublinear.jobs.CheckpointRecords;
import dev.sublinear.jobs.EventStore;
import dev.sublinear.jobs.FileStore;
import dev.sublinear.jobs.Ids;
import dev.sublinear.jobs.JobQueue;
import dev.sublinear.jobs.JobRecord;
import dev.sublinear.jobs.JobsProperties;
import dev.sublinear.jobs.LocalDirectories;
import dev.sublinear.jobs.MetricStore;
import dev.sublinear.jobs.ModelRecord;
import dev.sublinear.jobs.ModelStore;
import dev.sublinear.jobs.TrainingSettings;
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
import java.time.Clock;
import java.util.List;
import org.springframework.stereotype.Component;

/**
 * Turns a claimed job into a training spec and its outcome into store writes. The training itself
 * and the conversation with the store while it runs are {@link JobExecution}'s.
 */
@Component
class JobRunner {

    final JobQueue queue;
    final EventStore events;
    final MetricStore metrics;
    final CheckpointRecords checkpoints;
    final ModelStore models;
    final FileStore files;
    final BaseModels baseModels;
    final ArtifactStore artifacts;
    final LocalDirectories directories;
    final Clock clock;
    private final long maxModelBytes;

    JobRunner(JobQueue queue, EventStore events, MetricStore metrics, CheckpointRecords checkpoints, ModelStore models,
            FileStore files, BaseModels baseModels, ArtifactStore artifacts, LocalDirectories directories, Clock clock,
            JobsProperties properties) {
        this.queue = queue;
        this.events = events;
        this.metrics = metrics;
        this.checkpoints = checkpoints;
        this.models = models;
        this.files = files;
        this.baseModels = baseModels;
        this.artifacts = artifacts;
        this.directories = directories;
        this.clock = clock;
        this.maxModelBytes = properties.maxModelBytes();
    }

    /** The job's inputs, copied to {@code workDirectory}, as a training spec. */
    TrainingSpec spec(JobRecord job, List<Device> devices, Path workDirectory, ArtifactCheckpointStore store)
            throws IOException {
        PrivateFiles.createFolders(workDirectory);
        Path training = copy(files.find(job.tenantId(), job.trainingFile()).orElseThrow().artifactKey(),
                workDirectory.resolve("training.jsonl"));
        Path validation = job.validationFile() == null
                ? null
                : copy(files.find(job.tenantId(), job.validationFile()).orElseThrow().artifactKey(),
                        workDirectory.resolve("validation.jsonl"));
        ModelSource source = modelSource(baseModels.resolve(job.tenantId(), job.model(), "model"), workDirectory);
        TrainingSpec spec = new TrainingSpec(job.task(), source, training, validation,
                TrainingSettings.hyperparameters(job.settings()), TrainingSettings.optimizer(job.settings()),
                devices.toArray(Device[]::new), job.settings().seed(), store, null, workDirectory.resolve("output"));
        return job.latestCheckpoint() == null ? spec : spec.resumingFrom(job.latestCheckpoint());
    }

    private ModelSource modelSource(BaseModel base, Path workDirectory) throws IOException {
        if (base instanceof BaseModel.Catalog c) {
            return new ModelSource.Catalog(c.name());
        }
        if (base instanceof BaseModel.FineTuned f) {
            return new ModelSource.Saved(unpack(f.model().artifactKey(), workDirectory.resolve("base")));
        }
        if (base instanceof BaseModel.Uploaded u) {
            return new ModelSource.Saved(unpack(u.file().artifactKey(), workDirectory.resolve("base")));
        }
        CheckpointRecord c = ((BaseModel.FromCheckpoint) base).checkpoint();
        return new ModelSource.FromCheckpoint(
                new ArtifactCheckpointStore(artifacts, c.jobId(), name -> {
                    throw new IllegalStateException("a base checkpoint is read-only");
                }), c.name());
    }

    private Path copy(String key, Path target) throws IOException {
        try (InputStream in = artifacts.open(key); OutputStream out = PrivateFiles.createFile(target)) {
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

    /** Records a checkpoint the run wrote. */
    void recordCheckpoint(JobRecord job, ArtifactCheckpointStore store, String name, int step, long bytes,
            Double trainLoss, Double validLoss) {
        checkpoints.put(new CheckpointRecord(Ids.next("ftckpt"), job.id(), job.tenantId(), name, step, bytes, trainLoss,
                validLoss, store.key(name), clock.millis()));
    }

    /**
     * Stores the trained model and registers it under its {@code ft:} id. The archive's key is the
     * claim's own: a zombie attempt of the same job (its lease lost) never overwrites or deletes
     * the model another attempt registered.
     */
    ModelRecord registerModel(JobRecord job, Path outputDirectory, String claim) throws IOException {
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
        String suffix = job.settings().suffix() == null ? "" : job.settings().suffix();
        ModelRecord model = new ModelRecord("ft:" + rootModel(job.model()) + ":" + suffix + ":" + job.id(),
                job.tenantId(), job.model(), job.id(), job.task(), key, info.bytes(), clock.millis());
        models.insert(model);
        return model;
    }

    /** The catalog architecture a model descends from, for the {@code ft:} id; "custom" when unknown. */
    private static String rootModel(String model) {
        if (model.startsWith("ft:")) {
            return model.split(":")[1];
        }
        return model.startsWith("ftckpt-") || model.startsWith("file-") ? "custom" : model;
    }

    /**
     * A claim's own folder. Attempt numbers can repeat (a claim the database lost in a crash, an
     * attempt given back uncharged), so the claim's random tag keeps a leftover from failing it.
     */
    Path workDirectory(JobRecord job, String claim) {
        return directories.work().resolve(job.id() + "-attempt-" + job.attempt() + "-" + claim);
    }
}
