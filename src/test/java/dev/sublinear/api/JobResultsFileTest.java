package dev.sublinear.api;

import static dev.sublinear.testing.RunningService.status;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sublinear.testing.RunningService;
import dev.sublinear.testing.ServiceClient;
import dev.sublinear.training.SyntheticData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * A job's figures as OpenAI's clients read them, over HTTP from a job run to its end: the results
 * file (listed, downloadable, one row per step matching {@code /metrics}), the checkpoints' metrics
 * and their pages, and the {@code metrics} events.
 */
class JobResultsFileTest {

    private static final Duration JOB_TIMEOUT = Duration.ofSeconds(120);
    private static final int STEPS = 12; // 48 examples / 8 per batch * 2 epochs

    @TempDir
    static Path dir;

    static RunningService service;
    static String jobId;
    static JsonNode job;
    /** The job's /metrics points by step. */
    static Map<Integer, JsonNode> points = new HashMap<>();

    @BeforeAll
    static void runAJob() throws Exception {
        service = RunningService.start(dir.resolve("data"), null);
        String training =
                service.uploadFile(SyntheticData.reversal(dir.resolve("reverse-train.jsonl"), 48, 1), "fine-tune");
        String validation =
                service.uploadFile(SyntheticData.reversal(dir.resolve("reverse-valid.jsonl"), 8, 2), "fine-tune");
        jobId = service.createJob("""
                {"model": "lm-tiny", "training_file": "%s", "validation_file": "%s",
                 "hyperparameters": {"n_epochs": 2, "batch_size": 8, "eval_interval_steps": 4,
                                     "checkpoint_interval_steps": 2}}""".formatted(training, validation));
        job = service.awaitJob(jobId, status("succeeded", "failed", "cancelled"), JOB_TIMEOUT);
        assertThat(job.get("status").asString()).as(job.toString()).isEqualTo("succeeded");
        for (JsonNode p : service.get("/v1/fine_tuning/jobs/" + jobId + "/metrics")
                .expect(200)
                .json()
                .get("data")) {
            points.put(p.get("step").asInt(), p);
        }
        assertThat(points).hasSize(STEPS);
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    @Test
    void everyStepHasItsTokenAccuracyAndEvaluatedStepsTheirValidationAccuracy() {
        for (int step = 1; step <= STEPS; step++) {
            JsonNode p = points.get(step);
            assertThat(p.get("train_accuracy").asDouble()).as("step %d", step).isBetween(0.0, 1.0);
            boolean evaluated = step % 4 == 0;
            assertThat(p.get("valid_accuracy").isNull()).as("step %d", step).isEqualTo(!evaluated);
            if (evaluated) {
                assertThat(p.get("valid_accuracy").asDouble()).isBetween(0.0, 1.0);
            }
        }
    }

    @Test
    void theResultsFileIsListedAndHoldsOneRowPerStepAsMetricsHasThem() {
        JsonNode resultFiles = job.get("result_files");
        assertThat(resultFiles.size()).isEqualTo(1);
        String fileId = resultFiles.get(0).asString();

        JsonNode file = service.get("/v1/files/" + fileId).expect(200).json();
        assertThat(file.get("purpose").asString()).isEqualTo("fine-tune-results");
        assertThat(file.get("filename").asString()).isEqualTo("step_metrics.csv");
        JsonNode listed = service.get("/v1/files?purpose=fine-tune-results&limit=100")
                .expect(200)
                .json()
                .get("data");
        assertThat(listed.valueStream().map(f -> f.get("id").asString())).contains(fileId);

        byte[] content = service.download("/v1/files/" + fileId + "/content");
        assertThat(content).hasSize(file.get("bytes").asInt());
        List<String> lines = new String(content, StandardCharsets.UTF_8).lines().toList();
        assertThat(lines.get(0))
                .startsWith("step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy,")
                .contains("learning_rate", "update_rms", "clip_rate", "tokens_per_second");
        List<String> header = List.of(lines.get(0).split(",", -1));
        assertThat(lines).hasSize(1 + STEPS);
        Map<String, String> metricsName =
                Map.of("train_accuracy", "train_accuracy", "valid_mean_token_accuracy", "valid_accuracy");
        for (int row = 1; row <= STEPS; row++) {
            String[] cells = lines.get(row).split(",", -1);
            assertThat(cells).hasSameSizeAs(header);
            int step = Integer.parseInt(cells[0]);
            assertThat(step).isEqualTo(row);
            JsonNode p = points.get(step);
            for (int c = 1; c < cells.length; c++) {
                String column = header.get(c);
                JsonNode expected = p.get(metricsName.getOrDefault(column, column));
                assertThat(expected).as(column).isNotNull();
                if (expected.isNull()) {
                    assertThat(cells[c]).as("step %d %s", step, column).isEmpty();
                } else {
                    assertThat(Double.parseDouble(cells[c]))
                            .as("step %d %s", step, column)
                            .isEqualTo(expected.asDouble());
                }
            }
        }
    }

    @Test
    void checkpointsCarryTheirMetricsAndPageNewestFirst() {
        List<JsonNode> all = new ArrayList<>();
        String after = null;
        int pages = 0;
        while (true) {
            JsonNode page = service.get("/v1/fine_tuning/jobs/" + jobId + "/checkpoints?limit=2"
                            + (after == null ? "" : "&after=" + after))
                    .expect(200)
                    .json();
            page.get("data").forEach(all::add);
            pages++;
            if (!page.get("has_more").asBoolean()) {
                break;
            }
            after = page.get("last_id").asString();
        }
        // every second step, the newest three kept: 12, 10, 8 in pages of two
        assertThat(all.stream().map(c -> c.get("step_number").asInt())).containsExactly(12, 10, 8);
        assertThat(pages).isEqualTo(2);
        JsonNode single = service.get("/v1/fine_tuning/jobs/" + jobId + "/checkpoints?limit=1&after="
                        + all.get(0).get("id").asString())
                .expect(200)
                .json();
        assertThat(single.get("data").get(0).get("step_number").asInt()).isEqualTo(10);
        assertThat(single.get("has_more").asBoolean()).isTrue();

        for (JsonNode c : all) {
            int step = c.get("step_number").asInt();
            assertThat(c.get("object").asString()).isEqualTo("fine_tuning.job.checkpoint");
            assertThat(c.get("fine_tuning_job_id").asString()).isEqualTo(jobId);
            assertThat(c.get("fine_tuned_model_checkpoint").asString())
                    .isEqualTo(c.get("id").asString());
            assertThat(c.get("created_at").asLong()).isPositive();
            JsonNode m = c.get("metrics");
            JsonNode p = points.get(step);
            JsonNode evaluation = points.get(step / 4 * 4); // the newest at or before it
            assertThat(m.get("step").asInt()).isEqualTo(step);
            assertThat(m.get("train_loss").asDouble())
                    .isEqualTo(p.get("train_loss").asDouble());
            assertThat(m.get("train_mean_token_accuracy").asDouble())
                    .isEqualTo(p.get("train_accuracy").asDouble());
            assertThat(m.get("valid_loss").asDouble())
                    .isEqualTo(evaluation.get("valid_loss").asDouble());
            assertThat(m.get("valid_mean_token_accuracy").asDouble())
                    .isEqualTo(evaluation.get("valid_accuracy").asDouble());
            assertThat(m.get("full_valid_loss").asDouble())
                    .isEqualTo(m.get("valid_loss").asDouble());
            assertThat(m.get("full_valid_mean_token_accuracy").asDouble())
                    .isEqualTo(m.get("valid_mean_token_accuracy").asDouble());
        }
        BadInputTest.assertProblem(
                service.get("/v1/fine_tuning/jobs/" + jobId + "/checkpoints?after=ftckpt-nope"),
                404,
                "after",
                "not_found");
    }

    @Test
    void metricsEventsComeAtTheLogIntervalWithOpenAisKeys() {
        JsonNode events = service.get("/v1/fine_tuning/jobs/" + jobId + "/events?limit=1000")
                .expect(200)
                .json()
                .get("data");
        List<JsonNode> metrics = new ArrayList<>();
        for (JsonNode e : events) {
            if (e.get("type").asString().equals("metrics")) {
                assertThat(e.get("level").asString()).isEqualTo("info");
                JsonNode data = e.get("data");
                metrics.add(data.isString() ? ServiceClient.JSON.readTree(data.asString()) : data);
                assertThat(e.get("message").asString()).startsWith("Step ").contains("training loss=");
            }
        }
        // 12 steps: a twentieth of the run rounds to every step, each once, in order
        assertThat(metrics.stream().map(d -> d.get("step").asInt()))
                .containsExactlyElementsOf(
                        IntStream.rangeClosed(1, STEPS).boxed().toList());
        for (JsonNode d : metrics) {
            int step = d.get("step").asInt();
            JsonNode p = points.get(step);
            assertThat(d.get("total_steps").asInt()).isEqualTo(STEPS);
            assertThat((float) d.get("train_loss").asDouble())
                    .isEqualTo((float) p.get("train_loss").asDouble());
            assertThat((float) d.get("train_mean_token_accuracy").asDouble())
                    .isEqualTo((float) p.get("train_accuracy").asDouble());
            if (step % 4 == 0) {
                assertThat((float) d.get("valid_loss").asDouble())
                        .isEqualTo((float) p.get("valid_loss").asDouble());
                assertThat((float) d.get("valid_mean_token_accuracy").asDouble())
                        .isEqualTo((float) p.get("valid_accuracy").asDouble());
            } else {
                assertThat(d.get("valid_loss").isNull()).as("step %d", step).isTrue();
            }
        }
    }

    @Test
    void aCancelledJobHasItsResultsFileOnlyItsTenantSeesAndItDeletesLikeAnyFile() throws Exception {
        String training =
                service.uploadFile(SyntheticData.reversal(dir.resolve("long-train.jsonl"), 48, 3), "fine-tune");
        String id = service.createJob("""
                {"model": "lm-tiny", "training_file": "%s",
                 "hyperparameters": {"n_epochs": 100, "batch_size": 8}}""".formatted(training));
        service.awaitJob(
                id,
                j -> j.get("status").asString().equals("running")
                        && j.get("progress").get("step").asInt() > 0,
                JOB_TIMEOUT);
        service.post("/v1/fine_tuning/jobs/" + id + "/cancel", "").expect(200);
        JsonNode cancelled = service.awaitStatus(id, "cancelled", JOB_TIMEOUT);
        assertThat(cancelled.get("result_files").size())
                .as(cancelled.toString())
                .isEqualTo(1);
        String fileId = cancelled.get("result_files").get(0).asString();
        int recorded = service.get("/v1/fine_tuning/jobs/" + id + "/metrics?max_points=100000")
                .expect(200)
                .json()
                .get("data")
                .size();
        List<String> lines = new String(service.download("/v1/files/" + fileId + "/content"), StandardCharsets.UTF_8)
                .lines()
                .toList();
        assertThat(recorded).isPositive();
        assertThat(lines).hasSize(1 + recorded);

        service.post("/v1/admin/tenants", "{\"id\": \"results-other\", \"name\": \"other\"}")
                .expect(201);
        ServiceClient other = service.as(
                service.post("/v1/admin/tenants/results-other/keys", "{\"name\": \"test\", \"admin\": false}")
                        .expect(201)
                        .json()
                        .get("secret")
                        .asString());
        BadInputTest.assertProblem(other.get("/v1/files/" + fileId), 404, "file_id", "not_found");
        assertThat(other.get("/v1/files?limit=100")
                        .expect(200)
                        .json()
                        .get("data")
                        .size())
                .isZero();

        service.delete("/v1/files/" + fileId).expect(200);
        BadInputTest.assertProblem(service.get("/v1/files/" + fileId), 404, "file_id", "not_found");
        assertThat(service.get("/v1/fine_tuning/jobs/" + id)
                        .expect(200)
                        .json()
                        .get("result_files")
                        .size())
                .isZero();
    }

    @Test
    void clientsCannotUploadResultsFiles() {
        BadInputTest.assertProblem(
                service.upload("step_metrics.csv", "step\n1\n".getBytes(StandardCharsets.UTF_8), "fine-tune-results"),
                400,
                "purpose",
                "invalid_request");
    }
}
