package dev.sublinear.api;

import dev.sublinear.jobs.JobRecord;
import dev.sublinear.jobs.JobSettings;
import dev.sublinear.jobs.JobStatus;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * A fine-tuning job as clients see it ({@code object: "fine_tuning.job"}): every field of OpenAI's
 * job, which the official SDKs require, then ours ({@code task}, {@code optimizer}, {@code progress},
 * …) as extra fields the SDKs keep unvalidated.
 */
@Schema(
        description = "A fine-tuning job with its resolved settings and where it stands.",
        example = "{\"id\": \"ftjob-abc123\", \"object\": \"fine_tuning.job\", \"organization_id\": "
                + "\"default\", \"model\": "
                + "\"lm-tiny\", \"training_file\": \"file-abc123\", \"task\": "
                + "\"causal-lm\", \"status\": \"running\", \"progress\": "
                + "{\"step\": 120, \"total_steps\": 600, \"percent\": 20.0, "
                + "\"eta_seconds\": 95.5}, \"worker\": "
                + "\"node-1-x7\", \"devices\": [\"gpu:0\"], \"attempt\": 1, "
                + "\"max_attempts\": 3, \"fine_tuned_model\": null, "
                + "\"trained_tokens\": 48211, \"created_at\": 1795586217, \"started_at\": 1795586218, "
                + "\"finished_at\": null, \"estimated_finish\": 1795586314}")
public record JobObject(
        String id,
        String object,

        @Schema(description = "The tenant that owns the job (OpenAI's organization).")
        String organizationId,

        String model,
        String trainingFile,
        @Schema(types = {"string", "null"}) String validationFile,
        String task,

        @Schema(allowableValues = {"queued", "running", "paused", "succeeded", "failed", "cancelled"})
        String status,

        JobSettings.Hyperparameters hyperparameters,
        Method method,
        JobSettings.Optimizer optimizer,
        Resources resources,
        int priority,
        long seed,
        @Schema(types = {"string", "null"}) String suffix,
        Map<String, String> metadata,
        Progress progress,
        @Schema(types = {"integer", "null"}) Integer queuePosition,
        @Schema(types = {"string", "null"}) String worker,
        @Schema(types = {"array", "null"}) List<String> devices,
        int attempt,
        int maxAttempts,
        @Schema(nullable = true) Error error,
        @Schema(types = {"string", "null"}) String fineTunedModel,

        @Schema(
                description = "The job's results file (`step_metrics.csv`, purpose `fine-tune-results`) once it"
                        + " ended after at least one step; empty before")
        List<String> resultFiles,

        long trainedTokens,
        @Schema(types = {"string", "null"}) String latestCheckpoint,
        long createdAt,
        @Schema(types = {"integer", "null"}) Long startedAt,
        @Schema(types = {"integer", "null"}) Long finishedAt,

        @Schema(
                types = {"integer", "null"},
                description = "While running: when the job is estimated to finish (unix seconds, now plus"
                        + " progress.eta_seconds); null otherwise.")
        Long estimatedFinish) {

    /** OpenAI's {@code method}: always supervised here, with the resolved hyperparameters OpenAI names. */
    @Schema(
            description = "The fine-tuning method (always `supervised`) with the resolved hyperparameters.",
            example = "{\"type\": \"supervised\", \"supervised\": {\"hyperparameters\": {\"n_epochs\": 3,"
                    + " \"batch_size\": 8, \"learning_rate_multiplier\": 1.0}}}")
    public record Method(
            @Schema(allowableValues = {"supervised"}) String type, Supervised supervised) {

        static Method of(JobSettings.Hyperparameters h) {
            return new Method(
                    "supervised",
                    new Supervised(
                            new SupervisedHyperparameters(h.nEpochs(), h.batchSize(), h.learningRateMultiplier())));
        }
    }

    @Schema(
            description = "The supervised method's resolved hyperparameters.",
            example = "{\"hyperparameters\": {\"n_epochs\": 3, \"batch_size\": 8, \"learning_rate_multiplier\": 1.0}}")
    public record Supervised(SupervisedHyperparameters hyperparameters) {}

    @Schema(
            description = "`learning_rate_multiplier` is null where no fixed rate applies (Adafactor's relative step).",
            example = "{\"n_epochs\": 3, \"batch_size\": 8, \"learning_rate_multiplier\": 1.0}")
    public record SupervisedHyperparameters(
            int nEpochs,
            int batchSize,
            @Schema(types = {"number", "null"}) Double learningRateMultiplier) {}

    @Schema(description = "What the job needs of a worker.", example = "{\"gpus\": 1}")
    public record Resources(int gpus) {}

    @Schema(
            description = "Optimizer steps done of the total, and the estimated seconds to go while running.",
            example = "{\"step\": 120, \"total_steps\": 600, \"percent\": 20.0, \"eta_seconds\": 95.5}")
    public record Progress(
            int step,
            int totalSteps,
            double percent,
            @Schema(types = {"number", "null"}) Double etaSeconds) {}

    @Schema(
            description = "Why a job failed: `invalid_file`, `training_diverged`, `invalid_job`, `out_of_memory` (the"
                    + " request's) or `platform_error` (the service's).",
            example = "{\"code\": \"invalid_file\", \"message\": \"training line 3: is not "
                    + "valid JSON\", \"param\": \"training_file\"}")
    public record Error(
            String code,
            String message,
            @Schema(types = {"string", "null"}) String param) {}

    /**
     * @param showWorker whether the caller may see which worker runs the job: worker ids are named
     *     after their hosts, which only admins see
     */
    static JobObject of(JobRecord j, Integer queuePosition, boolean showWorker) {
        boolean running = j.status() == JobStatus.RUNNING;
        JobRecord.Progress p = j.progress();
        JobRecord.Claim claim = j.claim();
        JobRecord.Failure failure = j.failure();
        double percent = j.status() == JobStatus.SUCCEEDED
                ? 100
                : p.totalSteps() == 0 ? 0 : Math.round(1000.0 * p.step() / p.totalSteps()) / 10.0;
        return new JobObject(
                j.id(),
                "fine_tuning.job",
                j.tenantId(),
                j.model(),
                j.trainingFile(),
                j.validationFile(),
                j.taskId(),
                j.status().id(),
                j.settings().hyperparameters(),
                Method.of(j.settings().hyperparameters()),
                j.settings().optimizer(),
                new Resources(j.gpus()),
                j.priority(),
                j.settings().seed(),
                j.settings().suffix(),
                j.settings().metadata(),
                new Progress(p.step(), p.totalSteps(), percent, running ? p.etaSeconds() : null),
                j.status() == JobStatus.QUEUED ? queuePosition : null,
                running && showWorker ? claim.workerId() : null,
                running && claim.devices() != null
                        ? Arrays.asList(claim.devices().split(","))
                        : null,
                claim.attempt(),
                claim.maxAttempts(),
                failure == null ? null : new Error(failure.code().id(), failure.message(), failure.param()),
                j.fineTunedModel(),
                j.resultFile() == null ? List.of() : List.of(j.resultFile()),
                p.trainedTokens(),
                j.latestCheckpoint(),
                j.times().createdAt() / 1000,
                seconds(j.times().startedAt()),
                seconds(j.times().finishedAt()),
                running && p.etaSeconds() != null ? OpenAiObjects.now() + Math.round(p.etaSeconds()) : null);
    }

    private static Long seconds(Long millis) {
        return millis == null ? null : millis / 1000;
    }
}
