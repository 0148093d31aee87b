package dev.sublinear.jobs;

import dev.sublinear.jobs.common.JobsProperties;
import dev.sublinear.jobs.common.LocalDirectories;
import dev.sublinear.jobs.common.NotFoundException;
import dev.sublinear.jobs.common.Page;
import dev.sublinear.storage.ArtifactStore;
import dev.sublinear.training.model.PretrainedArchive;
import dev.sublinear.training.run.Checkpoint;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.springframework.stereotype.Service;

/** What a job produced so far: its metric series and its checkpoints. */
@Service
public class JobResults {

    private final JobService jobs;
    private final MetricStore metrics;
    private final JobCheckpoints checkpoints;
    private final ArtifactStore artifacts;
    private final JobsProperties properties;
    private final LocalDirectories directories;
    private final ParameterMemoryStore parameterMemory;

    public JobResults(
            JobService jobs,
            MetricStore metrics,
            ParameterMemoryStore parameterMemory,
            JobCheckpoints checkpoints,
            ArtifactStore artifacts,
            JobsProperties properties,
            LocalDirectories directories) {
        this.directories = directories;
        this.parameterMemory = parameterMemory;
        this.jobs = jobs;
        this.metrics = metrics;
        this.checkpoints = checkpoints;
        this.artifacts = artifacts;
        this.properties = properties;
    }

    /** The series, downsampled to at most {@code maxPoints} (capped by configuration). */
    public List<MetricPoint> metrics(JobRecord job, Integer maxPoints) {
        int limit = maxPoints == null ? properties.metricsPoints() : Math.min(maxPoints, properties.metricsPoints());
        return metrics.series(job.id(), limit);
    }

    /**
     * Where the job's optimizer memory goes, listing at most {@code maxParameters} parameters; empty
     * until its worker reported the first step.
     */
    public Optional<MemoryBreakdown> memoryBreakdown(JobRecord job, int maxParameters) {
        return parameterMemory.read(job.id()).map(all -> MemoryBreakdown.of(all, maxParameters));
    }

    /** Steps recorded, before downsampling. */
    public int recordedSteps(JobRecord job) {
        return metrics.count(job.id());
    }

    /** A page of the job's checkpoints, newest first, after the checkpoint {@code after} when given. */
    public Page<CheckpointRecord> checkpoints(String tenantId, String jobId, String after, int limit) {
        jobs.get(tenantId, jobId);
        return checkpoints.page(jobId, after, limit);
    }

    public CheckpointRecord checkpoint(String tenantId, String jobId, String checkpointId) {
        jobs.get(tenantId, jobId);
        return checkpoints
                .find(tenantId, checkpointId)
                .filter(c -> c.jobId().equals(jobId))
                .orElseThrow(() -> new NotFoundException("checkpoint", checkpointId, "checkpoint_id"));
    }

    public InputStream content(CheckpointRecord checkpoint) throws IOException {
        return artifacts.open(checkpoint.artifactKey());
    }

    /** A checkpoint's download: a file of {@code bytes}, deleted when the stream closes where it is a temporary. */
    public record Download(InputStream content, long bytes) {}

    /**
     * What {@code GET …/checkpoints/{id}/content} answers: for a job on a Hugging Face model, the
     * checkpoint's model as a zip of its Hugging Face directory (what {@code from_pretrained} reads,
     * weights in the base's types); for our own models the checkpoint archive itself.
     */
    public Download download(CheckpointRecord checkpoint) throws IOException {
        Files.createDirectories(directories.work());
        Path folder = Files.createTempDirectory(directories.work(), "checkpoint-export-");
        try {
            boolean pretrained;
            try (InputStream in = artifacts.open(checkpoint.artifactKey())) {
                pretrained = Checkpoint.exportPretrained(in, checkpoint.name(), folder.resolve("model"));
            }
            if (!pretrained) {
                LocalDirectories.deleteTree(folder);
                return new Download(content(checkpoint), checkpoint.bytes());
            }
            Path zip = folder.resolve("model.zip");
            try (OutputStream out = Files.newOutputStream(zip)) {
                PretrainedArchive.zip(folder.resolve("model"), out);
            }
            InputStream in = new FilterInputStream(Files.newInputStream(zip)) {
                @Override
                public void close() throws IOException {
                    try {
                        super.close();
                    } finally {
                        LocalDirectories.deleteTree(folder);
                    }
                }
            };
            return new Download(in, Files.size(zip));
        } catch (IOException | RuntimeException e) {
            LocalDirectories.deleteTree(folder);
            throw e;
        }
    }
}
