package dev.sublinear.api;

import dev.sublinear.jobs.CheckpointRecord;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.LinkedHashMap;
import java.util.Map;

/** A checkpoint ({@code object: "fine_tuning.job.checkpoint"}); usable as a new job's {@code model}. */
@Schema(
        description = "A checkpoint; its id can be a new job's `model`.",
        example = "{\"id\": \"ftckpt-abc123\", \"object\": \"fine_tuning.job.checkpoint\", "
                + "\"fine_tuning_job_id\": \"ftjob-abc123\", \"name\": "
                + "\"step-00000100\", \"step\": 100, \"metrics\": "
                + "{\"train_loss\": 1.56}, \"bytes\": 3770414, \"created_at\": 1795586219}")
public record CheckpointObject(
        String id,
        String object,
        String fineTuningJobId,
        String name,
        int step,
        Map<String, Double> metrics,
        long bytes,
        long createdAt) {

    static CheckpointObject of(CheckpointRecord c) {
        Map<String, Double> metrics = new LinkedHashMap<>();
        if (c.trainLoss() != null) {
            metrics.put("train_loss", c.trainLoss());
        }
        if (c.validLoss() != null) {
            metrics.put("valid_loss", c.validLoss());
        }
        return new CheckpointObject(
                c.id(),
                "fine_tuning.job.checkpoint",
                c.jobId(),
                c.name(),
                c.step(),
                metrics,
                c.bytes(),
                c.createdAt() / 1000);
    }
}
