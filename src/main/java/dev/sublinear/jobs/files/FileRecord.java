package dev.sublinear.jobs.files;

import dev.sublinear.training.data.TaskType;
import java.util.List;
import java.util.Set;

/**
 * An uploaded file.
 *
 * @param status {@code processed}: unusable uploads are refused, not stored (kept for OpenAI's shape)
 * @param statusDetails always null for now (OpenAI's field; problems are reported when refusing)
 * @param tasks the tasks a fine-tune file's examples suit
 * @param createdAt epoch milliseconds
 */
public record FileRecord(
        String id,
        String tenantId,
        String filename,
        String purpose,
        long bytes,
        String sha256,
        String status,
        String statusDetails,
        Set<TaskType> tasks,
        String artifactKey,
        long createdAt) {

    public static final String FINE_TUNE = "fine-tune";
    public static final String MODEL = "model";
    /** A job's results, written by the service when the job ends; never uploaded. */
    public static final String FINE_TUNE_RESULTS = "fine-tune-results";

    public static final String PROCESSED = "processed";

    /** The tasks' ids ("causal-lm", "classification"), sorted. */
    public List<String> taskIds() {
        return tasks.stream().map(TaskType::id).sorted().toList();
    }

    public boolean usable() {
        return PROCESSED.equals(status);
    }
}
