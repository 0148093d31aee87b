package dev.sublinear.api;

import dev.sublinear.jobs.CheckpointRecord;
import java.util.LinkedHashMap;
import java.util.Map;

/** A checkpoint ({@code object: "fine_tuning.job.checkpoint"}); usable as a new job's {@code model}. */
public record CheckpointObject(String id, String object, String fineTuningJobId, String name, int step,
        Map<String, Double> metrics, long bytes, long createdAt) {

    static CheckpointObject of(CheckpointRecord c) {
        Map<String, Double> metrics = new LinkedHashMap<>();
        if (c.trainLoss() != null) {
            metrics.put("train_loss", c.trainLoss());
        }
        if (c.validLoss() != null) {
            metrics.put("valid_loss", c.validLoss());
        }
        return new CheckpointObject(c.id(), "fine_tuning.job.checkpoint", c.jobId(), c.name(), c.step(), metrics,
                c.bytes(), c.createdAt() / 1000);
    }
}
