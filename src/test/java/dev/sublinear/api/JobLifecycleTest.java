package dev.sublinear.api;

import static dev.sublinear.testing.RunningService.status;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sublinear.testing.RunningService;
import dev.sublinear.testing.ServiceClient;
import dev.sublinear.training.SyntheticData;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Whole jobs driven over HTTP against the embedded defaults (H2 file database, in-process worker):
 * upload, create, follow the event stream, read metrics and checkpoints, download, try the model,
 * train again from a checkpoint and from the fine-tuned model, pause, resume and cancel.
 */
class JobLifecycleTest {

    private static final Duration JOB_TIMEOUT = Duration.ofSeconds(120);

    @TempDir
    static Path dir;

    static RunningService service;
    static String lmTraining;
    static String lmValidation;
    static String clsTraining;

    @BeforeAll
    static void start() throws Exception {
        service = RunningService.start(dir.resolve("data"), null);
        lmTraining = service.uploadFile(SyntheticData.reversal(dir.resolve("reverse-train.jsonl"), 48, 1), "fine-tune");
        lmValidation =
                service.uploadFile(SyntheticData.reversal(dir.resolve("reverse-valid.jsonl"), 8, 2), "fine-tune");
        clsTraining = service.uploadFile(SyntheticData.initials(dir.resolve("initials.jsonl"), 40, 3), "fine-tune");
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    @Test
    void aCausalLmJobRunsFromUploadToCompletions() throws Exception {
        String jobId = service.createJob("""
                {"model": "lm-tiny", "training_file": "%s", "validation_file": "%s", "suffix": "rev",
                 "metadata": {"team": "search"},
                 "hyperparameters": {"n_epochs": 2, "batch_size": 8, "eval_interval_steps": 4,
                                     "checkpoint_interval_steps": 4}}""".formatted(lmTraining, lmValidation));
        CompletableFuture<List<String>> stream = CompletableFuture.supplyAsync(() -> follow(jobId));

        JsonNode job = service.awaitJob(jobId, status("succeeded", "failed", "cancelled"), JOB_TIMEOUT);
        assertThat(job.get("status").asString()).as(job.toString()).isEqualTo("succeeded");
        int steps = job.get("progress").get("step").asInt();
        assertThat(steps).isEqualTo(12); // 48 examples / 8 per batch * 2 epochs
        assertThat(job.get("progress").get("percent").asDouble()).isEqualTo(100.0);
        assertThat(job.get("trained_tokens").asLong()).isPositive();
        assertThat(job.get("metadata").get("team").asString()).isEqualTo("search");
        String model = job.get("fine_tuned_model").asString();
        assertThat(model).isEqualTo("ft:lm-tiny:rev:" + jobId);

        List<String> sse = stream.get(30, TimeUnit.SECONDS);
        String all = String.join("\n", sse);
        assertThat(all).contains("Job created", "Attempt 1 started", "Checkpoint step-00000004", "Job succeeded");
        assertThat(sse.get(sse.size() - 2)).isEqualTo("event:end");
        assertThat(sse.get(sse.size() - 1)).contains("\"status\":\"succeeded\"");
        assertThat(sse).filteredOn(l -> l.startsWith("id:")).doesNotHaveDuplicates();
        // the stream's events are the list's: OpenAI's types, our kind of event in data.kind
        List<JsonNode> streamed = sse.subList(0, sse.size() - 2).stream()
                .filter(l -> l.startsWith("data:"))
                .map(l -> ServiceClient.JSON.readTree(l.substring("data:".length())))
                .toList();
        assertOpenAiEvents(streamed);
        JsonNode listed = service.get("/v1/fine_tuning/jobs/" + jobId + "/events?limit=100")
                .expect(200)
                .json()
                .get("data");
        List<JsonNode> listedEvents = new ArrayList<>();
        listed.forEach(listedEvents::add);
        assertOpenAiEvents(listedEvents);
        assertThat(listedEvents)
                .filteredOn(e -> e.get("message").asString().startsWith("Checkpoint step-00000004"))
                .singleElement()
                .satisfies(e -> assertThat(e.get("data").get("kind").asString()).isEqualTo("checkpoint"));
        assertThat(listedEvents)
                .filteredOn(e -> e.get("message").asString().startsWith("Job succeeded"))
                .singleElement()
                .satisfies(e -> assertThat(e.get("data").get("kind").asString()).isEqualTo("status"));
        // OpenAI's job fields: the tenant as organization, no estimate once finished
        assertThat(job.get("organization_id").asString()).isEqualTo("default");
        assertThat(job.get("estimated_finish").isNull()).as(job.toString()).isTrue();
        assertThat(job.get("finished_at").asLong())
                .isGreaterThanOrEqualTo(job.get("created_at").asLong());

        JsonNode metrics = service.get("/v1/fine_tuning/jobs/" + jobId + "/metrics")
                .expect(200)
                .json();
        JsonNode data = metrics.get("data");
        assertThat(data.size()).isEqualTo(steps);
        for (int i = 0; i < steps; i++) {
            JsonNode p = data.get(i);
            assertThat(p.get("step").asInt()).isEqualTo(i + 1);
            assertThat(p.get("train_loss").asDouble()).isPositive();
            assertThat(p.get("learning_rate").asDouble()).isPositive();
            assertThat(p.get("update_rms").asDouble()).isPositive();
            assertThat(p.get("tokens_per_second").asDouble()).isPositive();
            boolean evaluated = (i + 1) % 4 == 0 || i + 1 == steps;
            assertThat(p.get("valid_loss").isNull())
                    .as("valid_loss at step %d", i + 1)
                    .isEqualTo(!evaluated);
        }
        assertThat(data.get(steps - 1).get("train_loss").asDouble())
                .isLessThan(data.get(0).get("train_loss").asDouble());
        JsonNode memory = metrics.get("optimizer_memory");
        assertThat(memory.get("state_bytes").asLong()).isPositive();
        assertThat(memory.get("adam_equivalent_bytes").asLong())
                .isEqualTo(2 * memory.get("parameter_bytes").asLong());
        assertThat(memory.get("ratio").asDouble()).isLessThan(0.05);
        JsonNode thin = service.get("/v1/fine_tuning/jobs/" + jobId + "/metrics?max_points=10")
                .expect(200)
                .json();
        assertThat(thin.get("data").size()).isEqualTo(10);
        assertThat(thin.get("downsampled").asBoolean()).isTrue();

        JsonNode checkpoints = service.get("/v1/fine_tuning/jobs/" + jobId + "/checkpoints")
                .expect(200)
                .json()
                .get("data");
        assertThat(checkpoints.size()).isEqualTo(3); // the newest three are kept
        JsonNode newest = checkpoints.get(0);
        assertThat(newest.get("step_number").asInt()).isEqualTo(steps);
        byte[] archive = service.download("/v1/fine_tuning/jobs/" + jobId + "/checkpoints/"
                + newest.get("id").asString() + "/content");
        assertThat(archive).hasSize(newest.get("bytes").asInt());
        assertThat(new String(archive, 0, 2, StandardCharsets.ISO_8859_1)).isEqualTo("PK");

        assertThat(service.get("/v1/models/" + model)
                        .expect(200)
                        .json()
                        .get("task")
                        .asString())
                .isEqualTo("causal-lm");
        JsonNode completion = service.post(
                        "/v1/models/" + model + "/completions",
                        "{\"prompt\": \"abc\", \"max_tokens\": 6, \"temperature\": 0}")
                .expect(200)
                .json();
        assertThat(completion.get("choices").get(0).get("text").isString()).isTrue();
        JsonNode wrongEndpoint = service.post("/v1/models/" + model + "/predictions", "{\"text\": \"abc\"}")
                .expect(400)
                .json();
        assertThat(wrongEndpoint.get("param").asString()).isEqualTo("model");

        // train on: from a checkpoint, and from the fine-tuned model
        for (String base : List.of(newest.get("id").asString(), model)) {
            String next = service.createJob("""
                    {"model": "%s", "training_file": "%s",
                    "hyperparameters": {"max_steps": 2}}""".formatted(base, lmTraining));
            JsonNode done = service.awaitJob(next, status("succeeded", "failed"), JOB_TIMEOUT);
            assertThat(done.get("status").asString()).as(done.toString()).isEqualTo("succeeded");
            assertThat(done.get("fine_tuned_model").asString())
                    .startsWith(base.startsWith("ft:") ? "ft:lm-tiny:" : "ft:custom:");
        }
    }

    @Test
    void aClassificationJobServesPredictions() {
        String jobId = service.createJob("""
                {"model": "cls-tiny", "training_file": "%s",
                "hyperparameters": {"n_epochs": 1, "batch_size": 8}}""".formatted(clsTraining));
        JsonNode job = service.awaitJob(jobId, status("succeeded", "failed"), JOB_TIMEOUT);
        assertThat(job.get("status").asString()).as(job.toString()).isEqualTo("succeeded");
        assertThat(job.get("task").asString()).isEqualTo("classification");
        JsonNode prediction = service.post(
                        "/v1/models/" + job.get("fine_tuned_model").asString() + "/predictions",
                        "{\"text\": \"abcde\"}")
                .expect(200)
                .json();
        assertThat(prediction.get("label").asString()).isIn("vowel", "consonant");
        double sum = 0;
        for (JsonNode s : prediction.get("scores")) {
            sum += s.get("probability").asDouble();
        }
        assertThat(sum).isCloseTo(1.0, Offset.offset(1e-4));
    }

    @Test
    void aJobCanBePausedResumedAndCancelled() {
        String jobId = service.createJob("""
                {"model": "lm-tiny", "training_file": "%s",
                 "hyperparameters": {"n_epochs": 100, "batch_size": 4,
                                     "checkpoint_interval_steps": 5}}""".formatted(lmTraining));
        JsonNode running = service.awaitJob(
                jobId,
                j -> j.get("status").asString().equals("running")
                        && j.get("progress").get("step").asInt() > 0
                        && !j.get("progress").get("eta_seconds").isNull(),
                JOB_TIMEOUT);
        // estimated_finish is now (when the job was read) plus the ETA, in unix seconds
        long readAt = System.currentTimeMillis() / 1000;
        double eta = running.get("progress").get("eta_seconds").asDouble();
        assertThat(running.get("estimated_finish").asLong())
                .as(running.toString())
                .isBetween(readAt - 2 + Math.round(eta), readAt + 1 + Math.round(eta));
        service.post("/v1/fine_tuning/jobs/" + jobId + "/pause", "").expect(200);
        JsonNode paused = service.awaitStatus(jobId, "paused", JOB_TIMEOUT);
        int pausedAt = paused.get("progress").get("step").asInt();
        assertThat(paused.get("latest_checkpoint").asString()).isEqualTo(String.format("step-%08d", pausedAt));
        assertThat(paused.get("worker").isNull()).isTrue();
        assertThat(paused.get("estimated_finish").isNull()).isTrue();

        assertThat(service.post("/v1/fine_tuning/jobs/" + jobId + "/resume", "")
                        .expect(200)
                        .json()
                        .get("status")
                        .asString())
                .isIn("queued", "running");
        service.awaitJob(
                jobId,
                j -> j.get("status").asString().equals("running")
                        && j.get("progress").get("step").asInt() > pausedAt,
                JOB_TIMEOUT);
        service.post("/v1/fine_tuning/jobs/" + jobId + "/cancel", "").expect(200);
        JsonNode cancelled = service.awaitStatus(jobId, "cancelled", JOB_TIMEOUT);
        assertThat(cancelled.get("finished_at").isNull()).isFalse();
        assertThat(cancelled.get("attempt").asInt()).isEqualTo(2);
        String events = service.get("/v1/fine_tuning/jobs/" + jobId + "/events?limit=100")
                .expect(200)
                .body();
        assertThat(events).contains("Job paused at step " + pausedAt, "resuming from step-", "Job cancelled");

        JsonNode again = service.post("/v1/fine_tuning/jobs/" + jobId + "/resume", "")
                .expect(409)
                .json();
        assertThat(again.get("param").asString()).isEqualTo("fine_tuning_job_id");
    }

    @Test
    void aFixedBeta2ReachesTheOptimizerAndAdamDefaultsToTheUsualOne() {
        JsonNode slow = service.post("/v1/fine_tuning/jobs", """
                {"model": "lm-tiny", "training_file": "%s", "hyperparameters": {"max_steps": 3},
                 "optimizer": {"beta2": 0.999, "clip_threshold": 1000}}""".formatted(lmTraining))
                .expect(201)
                .json();
        assertThat(slow.get("optimizer").get("beta2").asDouble()).isEqualTo(0.999);
        JsonNode done = service.awaitStatus(slow.get("id").asString(), "succeeded", JOB_TIMEOUT);
        assertThat(done.get("progress").get("step").asInt()).isEqualTo(3);

        JsonNode adafactor = service.post("/v1/fine_tuning/jobs", """
                {"model": "lm-tiny", "training_file": "%s",
                "hyperparameters": {"max_steps": 1}}""".formatted(lmTraining))
                .expect(201)
                .json();
        assertThat(adafactor.get("optimizer").get("beta2").isNull())
                .as("the increasing decay")
                .isTrue();
        JsonNode adam = service.post("/v1/fine_tuning/jobs", """
                {"model": "lm-tiny", "training_file": "%s", "optimizer": {"type": "adam"},
                 "hyperparameters": {"max_steps": 1, "learning_rate": 0.001}}""".formatted(lmTraining))
                .expect(201)
                .json();
        assertThat(adam.get("optimizer").get("beta2").asDouble()).isEqualTo(0.999);
    }

    @Test
    void aRetriedCreateWithTheSameIdempotencyKeyReturnsTheSameJob() {
        String body = """
                {"model": "lm-tiny", "training_file": "%s",
                "hyperparameters": {"max_steps": 1}}""".formatted(lmTraining);
        String first = service.post("/v1/fine_tuning/jobs", body, "retry-42")
                .expect(201)
                .json()
                .get("id")
                .asString();
        String second = service.post("/v1/fine_tuning/jobs", body, "retry-42")
                .expect(201)
                .json()
                .get("id")
                .asString();
        String other = service.post("/v1/fine_tuning/jobs", body, "retry-43")
                .expect(201)
                .json()
                .get("id")
                .asString();
        assertThat(second).isEqualTo(first);
        assertThat(other).isNotEqualTo(first);
    }

    @Test
    void listsArePagedWithCursors() {
        List<String> created = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            created.add(service.createJob("""
                    {"model": "lm-tiny", "training_file": "%s",
                    "hyperparameters": {"max_steps": 1}}""".formatted(lmTraining)));
        }
        JsonNode page1 = service.get("/v1/fine_tuning/jobs?limit=2").expect(200).json();
        assertThat(page1.get("object").asString()).isEqualTo("list");
        assertThat(page1.get("has_more").asBoolean()).isTrue();
        assertThat(page1.get("data").get(0).get("id").asString()).isEqualTo(created.get(2));
        assertThat(page1.get("data").get(1).get("id").asString()).isEqualTo(created.get(1));
        JsonNode page2 = service.get("/v1/fine_tuning/jobs?limit=1&after=" + created.get(1))
                .expect(200)
                .json();
        assertThat(page2.get("data").get(0).get("id").asString()).isEqualTo(created.get(0));
        JsonNode files =
                service.get("/v1/files?purpose=fine-tune&limit=100").expect(200).json();
        assertThat(files.get("data").size()).isGreaterThanOrEqualTo(3);
    }

    @Test
    void workersHealthAndPrometheusReportTheService() {
        JsonNode workers = service.get("/v1/workers").expect(200).json().get("data");
        assertThat(workers.size()).isEqualTo(1);
        JsonNode worker = workers.get(0);
        assertThat(worker.get("status").asString()).isEqualTo("online");
        assertThat(worker.get("devices").get(0).get("name").asString()).isEqualTo("cpu");
        assertThat(worker.get("devices").get(0).get("total").asInt()).isEqualTo(1);
        for (String probe : List.of("/actuator/health", "/actuator/health/readiness", "/actuator/health/liveness")) {
            assertThat(service.get(probe).expect(200).body()).contains("\"status\":\"UP\"");
        }
        String prometheus = service.get("/actuator/prometheus").expect(200).body();
        assertThat(prometheus)
                .contains(
                        "sublinear_jobs{status=\"queued\"}",
                        "sublinear_queue_depth",
                        "sublinear_worker_optimizer_state_bytes",
                        "sublinear_worker_optimizer_adam_equivalent_bytes",
                        "sublinear_worker_device_utilisation",
                        "sublinear_worker_steps_per_second");
    }

    /**
     * Events as the official SDKs type them: {@code type} only {@code message} or {@code metrics},
     * {@code data} an object; a message says its kind of event (ours: status, checkpoint, …).
     */
    private static void assertOpenAiEvents(List<JsonNode> events) {
        assertThat(events).isNotEmpty();
        for (JsonNode e : events) {
            assertThat(e.get("object").asString()).isEqualTo("fine_tuning.job.event");
            assertThat(e.get("type").asString()).as(e.toString()).isIn("message", "metrics");
            assertThat(e.get("level").asString()).as(e.toString()).isIn("info", "warn", "error");
            assertThat(e.get("data").isObject()).as(e.toString()).isTrue();
            if (e.get("type").asString().equals("message")) {
                assertThat(e.get("data").get("kind").asString())
                        .as(e.toString())
                        .isNotBlank();
            }
        }
        assertThat(events)
                .filteredOn(e -> e.get("type").asString().equals("message"))
                .extracting(e -> e.get("data").get("kind").asString())
                .contains("status", "checkpoint");
    }

    /** Reads the job's event stream to its end, as an EventSource client would. */
    private static List<String> follow(String jobId) {
        List<String> lines = new ArrayList<>();
        try {
            HttpRequest request = service.request("/v1/fine_tuning/jobs/" + jobId + "/events")
                    .header("Accept", "text/event-stream")
                    .build();
            HttpResponse<InputStream> response =
                    service.http().send(request, HttpResponse.BodyHandlers.ofInputStream());
            assertThat(response.headers().firstValue("Content-Type").orElse("")).startsWith("text/event-stream");
            try (BufferedReader reader =
                    new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = reader.readLine()) != null) {
                    if (!line.isEmpty()) {
                        lines.add(line);
                    }
                }
            }
            return lines;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
