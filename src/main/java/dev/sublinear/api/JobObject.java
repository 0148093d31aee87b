package dev.sublinear.api;

import dev.sublinear.jobs.JobRecord;
import dev.sublinear.jobs.JobSettings;
import dev.sublinear.jobs.JobStatus;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** A fine-tuning job as clients see it ({@code object: "fine_tuning.job"}). */
public record JobObject(
        String id,
        String object,
        String model,
        String trainingFile,
        String validationFile,
        String task,
        String status,
        JobSettings.Hyperparameters hyperparameters,
        JobSettings.Optimizer optimizer,
        Resources resources,
        int priority,
        long seed,
        String suffix,
        Map<String, String> metadata,
        Progress progress,
        Integer queuePosition,
        String worker,
        List<String> devices,
        int attempt,
        int maxAttempts,
        Error error,
        String fineTunedModel,
        long trainedTokens,
        String latestCheckpoint,
        long createdAt,
        Long startedAt,
        Long finishedAt) {

    public record Resources(int gpus) {}

    public record Progress(int step, int totalSteps, double percent, Double etaSeconds) {}

    public record Error(String code, String message, String param) {}

    static JobObject of(JobRecord j, Integer queuePosition) {
        boolean running = j.status() == JobStatus.RUNNING;
        double percent = j.status() == JobStatus.SUCCEEDED ? 100
                : j.totalSteps() == 0 ? 0 : Math.round(1000.0 * j.step() / j.totalSteps()) / 10.0;
        return new JobObject(j.id(), "fine_tuning.job", j.model(), j.trainingFile(), j.validationFile(), j.taskId(),
                j.status().id(), j.settings().hyperparameters(), j.settings().optimizer(), new Resources(j.gpus()),
                j.priority(), j.settings().seed(), j.settings().suffix(), j.settings().metadata(),
                new Progress(j.step(), j.totalSteps(), percent, running ? j.etaSeconds() : null),
                j.status() == JobStatus.QUEUED ? queuePosition : null,
                running ? j.workerId() : null,
                running && j.devices() != null ? Arrays.asList(j.devices().split(",")) : null,
                j.attempt(), j.maxAttempts(),
                j.errorCode() == null ? null : new Error(j.errorCode(), j.errorMessage(), j.errorParam()),
                j.fineTunedModel(), j.trainedTokens(), j.latestCheckpoint(), j.createdAt() / 1000,
                seconds(j.startedAt()), seconds(j.finishedAt()));
    }

    private static Long seconds(Long millis) {
        return millis == null ? null : millis / 1000;
    }
}
