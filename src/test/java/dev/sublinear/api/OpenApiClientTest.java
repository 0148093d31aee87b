package dev.sublinear.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sublinear.client.ApiClient;
import dev.sublinear.client.ApiException;
import dev.sublinear.client.api.FilesApi;
import dev.sublinear.client.api.FineTuningApi;
import dev.sublinear.client.api.ModelsApi;
import dev.sublinear.client.api.WorkersApi;
import dev.sublinear.client.model.CheckpointObject;
import dev.sublinear.client.model.Completion;
import dev.sublinear.client.model.CompletionRequest;
import dev.sublinear.client.model.FileObject;
import dev.sublinear.client.model.HyperparameterRequest;
import dev.sublinear.client.model.HyperparameterRequestBatchSize;
import dev.sublinear.client.model.HyperparameterRequestNEpochs;
import dev.sublinear.client.model.JobObject;
import dev.sublinear.client.model.JobRequest;
import dev.sublinear.client.model.MetricsObject;
import dev.sublinear.client.model.OptimizerRequest;
import dev.sublinear.testing.RunningService;
import dev.sublinear.training.SyntheticData;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A whole fine-tuning job through the Java client that the build generates from
 * {@code api-spec/openapi.yaml}, and nothing else: what a user's generated client would do.
 */
class OpenApiClientTest {

    @TempDir
    static Path dir;

    static RunningService service;
    static ApiClient client;

    @BeforeAll
    static void start() {
        service = RunningService.start(dir.resolve("data"), null);
        client = new ApiClient();
        client.updateBaseUri(service.baseUrl());
        client.setRequestInterceptor(request -> request.header("Authorization", "Bearer " + RunningService.ADMIN_KEY));
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    @Test
    void aWholeJobThroughTheGeneratedClient() throws Exception {
        FilesApi files = new FilesApi(client);
        FineTuningApi jobs = new FineTuningApi(client);
        ModelsApi models = new ModelsApi(client);

        File training =
                SyntheticData.reversal(dir.resolve("train.jsonl"), 32, 7).toFile();
        FileObject file = files.createFile(training, "fine-tune");
        assertThat(file.getStatus()).isEqualTo("processed");
        assertThat(file.getTasks()).containsExactly("causal-lm");

        JobObject job = jobs.createFineTuningJob(
                new JobRequest()
                        .model("lm-tiny")
                        .trainingFile(file.getId())
                        .suffix("client")
                        .hyperparameters(new HyperparameterRequest()
                                .nEpochs(new HyperparameterRequestNEpochs(2))
                                .batchSize(new HyperparameterRequestBatchSize(8))
                                .checkpointIntervalSteps(4))
                        .optimizer(new OptimizerRequest().type("adafactor").beta1(0.0)),
                "client-test-1");
        // the contract lists a job's statuses: the generated client reads them as its enum
        assertThat(job.getStatus().getValue()).isIn("queued", "running");

        long deadline = System.nanoTime() + 120_000_000_000L;
        while (!List.of("succeeded", "failed", "cancelled")
                        .contains(job.getStatus().getValue())
                && System.nanoTime() < deadline) {
            Thread.sleep(200);
            job = jobs.retrieveFineTuningJob(job.getId());
        }
        assertThat(job.getStatus()).as("%s", job).isEqualTo(JobObject.StatusEnum.SUCCEEDED);
        assertThat(job.getProgress().getStep()).isEqualTo(8);
        assertThat(job.getFineTunedModel()).isEqualTo("ft:lm-tiny:client:" + job.getId());

        MetricsObject metrics = jobs.getFineTuningMetrics(job.getId(), null, 5);
        assertThat(metrics.getData()).hasSize(8);
        assertThat(metrics.getData().get(0).getTrainLoss()).isPositive();
        assertThat(metrics.getOptimizerMemory().getRatio()).isLessThan(0.05);
        // the generated client reads the breakdown: lm-tiny's 29 parameters, 5 listed
        assertThat(metrics.getOptimizerMemory().getByParameter()).hasSize(5);
        assertThat(metrics.getOptimizerMemory().getByParameterRest().getParameters())
                .isEqualTo(24);
        assertThat(metrics.getOptimizerMemory().getParameterCount()).isEqualTo(29);
        assertThat(metrics.getOptimizerMemory().getByKind()).hasSize(6);

        List<CheckpointObject> checkpoints =
                jobs.listFineTuningCheckpoints(job.getId(), null, null).getData();
        assertThat(checkpoints).isNotEmpty();
        File archive = jobs.downloadFineTuningCheckpoint(
                job.getId(), checkpoints.get(0).getId());
        assertThat(Files.size(archive.toPath())).isEqualTo(checkpoints.get(0).getBytes());

        Completion completion = models.createCompletion(
                job.getFineTunedModel(),
                new CompletionRequest().prompt("abc").maxTokens(8).temperature(0.0));
        assertThat(completion.getChoices()).hasSize(1);
        assertThat(completion.getChoices().get(0).getText()).isNotNull();

        assertThat(jobs.listFineTuningEvents(job.getId(), null, null, 100).getData())
                .anySatisfy(e -> assertThat(e.getMessage()).startsWith("Job succeeded"));
        assertThat(new WorkersApi(client).listWorkers().getData()).hasSize(1);
    }

    @Test
    void errorsArriveAsProblemDetails() {
        FineTuningApi jobs = new FineTuningApi(client);
        assertThatThrownBy(() -> jobs.createFineTuningJob(
                        new JobRequest().model("lm-tiny").trainingFile("file-nope"), null))
                .isInstanceOfSatisfying(ApiException.class, e -> {
                    assertThat(e.getCode()).isEqualTo(400);
                    assertThat(e.getResponseBody()).contains("\"param\":\"training_file\"");
                });
        assertThatThrownBy(() -> jobs.retrieveFineTuningJob("ftjob-nope"))
                .isInstanceOfSatisfying(
                        ApiException.class, e -> assertThat(e.getCode()).isEqualTo(404));
    }
}
