package dev.sublinear.jobs;

import dev.sublinear.jobs.common.JobsProperties;
import dev.sublinear.jobs.common.NotFoundException;
import dev.sublinear.storage.ArtifactStore;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import org.springframework.stereotype.Service;

/** What a job produced so far: its metric series and its checkpoints. */
@Service
public class JobResults {

    private final JobService jobs;
    private final MetricStore metrics;
    private final JobCheckpoints checkpoints;
    private final ArtifactStore artifacts;
    private final JobsProperties properties;

    public JobResults(
            JobService jobs,
            MetricStore metrics,
            JobCheckpoints checkpoints,
            ArtifactStore artifacts,
            JobsProperties properties) {
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

    /** Steps recorded, before downsampling. */
    public int recordedSteps(JobRecord job) {
        return metrics.count(job.id());
    }

    public List<CheckpointRecord> checkpoints(String tenantId, String jobId) {
        jobs.get(tenantId, jobId);
        return checkpoints.ofJob(jobId);
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
}
