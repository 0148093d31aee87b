package dev.sublinear.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sublinear.testing.RunningService;
import dev.sublinear.training.SyntheticData;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;

/** Bad requests get problem+json naming the field at fault, never a 500. */
class BadInputTest {

    @TempDir
    static Path dir;

    static RunningService service;
    static String lm;
    static String cls;
    static String broken;

    @BeforeAll
    static void start() throws Exception {
        service = RunningService.start(dir.resolve("data"), null);
        lm = service.uploadFile(SyntheticData.reversal(dir.resolve("lm.jsonl"), 16, 1), "fine-tune");
        cls = service.uploadFile(SyntheticData.initials(dir.resolve("cls.jsonl"), 16, 1), "fine-tune");
        broken = service.upload("broken.jsonl", "{\"prompt\": 1}\nnot json\n".getBytes(StandardCharsets.UTF_8), "fine-tune")
                .expect(201).json().get("id").asString();
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    static String job(String fields) {
        return "{\"model\": \"lm-tiny\", \"training_file\": \"LM\"" + (fields.isEmpty() ? "" : ", " + fields) + "}";
    }

    static Stream<Arguments> badJobs() {
        return Stream.of(
                Arguments.of("unknown top-level field", job("\"epochs\": 3"), 400, "epochs", "unknown_field"),
                Arguments.of("unknown nested field", job("\"hyperparameters\": {\"lr\": 0.1}"), 400, "hyperparameters.lr",
                        "unknown_field"),
                Arguments.of("n_epochs zero", job("\"hyperparameters\": {\"n_epochs\": 0}"), 400,
                        "hyperparameters.n_epochs", "invalid_request"),
                Arguments.of("batch_size too big", job("\"hyperparameters\": {\"batch_size\": 100000}"), 400,
                        "hyperparameters.batch_size", "invalid_request"),
                Arguments.of("negative learning rate", job("\"optimizer\": {\"relative_step\": false},"
                        + " \"hyperparameters\": {\"learning_rate\": -1}"), 400, "hyperparameters.learning_rate",
                        "invalid_request"),
                Arguments.of("learning rate with relative step", job("\"hyperparameters\": {\"learning_rate\": 0.01},"
                        + " \"optimizer\": {\"relative_step\": true}"), 400, "hyperparameters.learning_rate", "invalid_request"),
                Arguments.of("string for a number", job("\"hyperparameters\": {\"n_epochs\": \"three\"}"), 400,
                        "hyperparameters.n_epochs", "invalid_type"),
                Arguments.of("beta1 of one", job("\"optimizer\": {\"beta1\": 1.0}"), 400, "optimizer.beta1", "invalid_request"),
                Arguments.of("decay rate zero", job("\"optimizer\": {\"decay_rate\": 0}"), 400, "optimizer.decay_rate",
                        "invalid_request"),
                Arguments.of("unknown optimizer", job("\"optimizer\": {\"type\": \"sgd\"}"), 400, "optimizer.type",
                        "invalid_request"),
                Arguments.of("adafactor option on adam", job("\"optimizer\": {\"type\": \"adam\", \"factored\": false},"
                        + " \"hyperparameters\": {\"learning_rate\": 0.001}"), 400, "optimizer.factored", "invalid_request"),
                Arguments.of("unknown task", job("\"task\": \"translation\""), 400, "task", "invalid_request"),
                Arguments.of("task the model is not for", job("\"task\": \"classification\""), 400, "task",
                        "invalid_request"),
                Arguments.of("unknown model", "{\"model\": \"gpt-9\", \"training_file\": \"LM\"}", 400, "model",
                        "invalid_request"),
                Arguments.of("missing model", "{\"training_file\": \"LM\"}", 400, "model", "invalid_request"),
                Arguments.of("missing training file", "{\"model\": \"lm-tiny\"}", 400, "training_file", "invalid_request"),
                Arguments.of("no such training file", "{\"model\": \"lm-tiny\", \"training_file\": \"file-nope\"}", 400,
                        "training_file", "invalid_request"),
                Arguments.of("file for the other task", "{\"model\": \"lm-tiny\", \"training_file\": \"CLS\"}", 400,
                        "training_file", "invalid_request"),
                Arguments.of("file that failed validation", "{\"model\": \"lm-tiny\", \"training_file\": \"BROKEN\"}", 400,
                        "training_file", "invalid_request"),
                Arguments.of("more GPUs than any worker", job("\"resources\": {\"gpus\": 8}"), 400, "resources.gpus",
                        "invalid_request"),
                Arguments.of("priority out of range", job("\"priority\": 1000"), 400, "priority", "invalid_request"),
                Arguments.of("bad suffix", job("\"suffix\": \"Has Spaces\""), 400, "suffix", "invalid_request"),
                Arguments.of("null for a primitive-like field", job("\"hyperparameters\": {\"n_epochs\": null}, \"seed\": -1"),
                        400, "seed", "invalid_request"),
                Arguments.of("array instead of object", job("\"hyperparameters\": [1, 2]"), 400, "hyperparameters",
                        "invalid_type"),
                Arguments.of("malformed JSON", "{\"model\": \"lm-tiny\",", 400, null, "invalid_json"),
                Arguments.of("empty body", "", 400, null, "invalid_json"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badJobs")
    void aBadJobIsRefusedNamingTheField(String name, String body, int status, String param, String code) {
        String json = body.replace("\"LM\"", "\"" + lm + "\"").replace("\"CLS\"", "\"" + cls + "\"")
                .replace("\"BROKEN\"", "\"" + broken + "\"");
        RunningService.Response response = service.post("/v1/fine_tuning/jobs", json);
        assertProblem(response, status, param, code);
    }

    static Stream<Arguments> badReads() {
        return Stream.of(
                Arguments.of("/v1/fine_tuning/jobs/ftjob-nope", 404, "fine_tuning_job_id", "not_found"),
                Arguments.of("/v1/fine_tuning/jobs?limit=0", 400, "limit", "invalid_request"),
                Arguments.of("/v1/fine_tuning/jobs?limit=abc", 400, "limit", "invalid_request"),
                Arguments.of("/v1/fine_tuning/jobs?status=sleeping", 400, "status", "invalid_request"),
                Arguments.of("/v1/fine_tuning/jobs?after=ftjob-nope", 404, "after", "not_found"),
                Arguments.of("/v1/fine_tuning/jobs/ftjob-nope/events", 404, "fine_tuning_job_id", "not_found"),
                Arguments.of("/v1/fine_tuning/jobs/ftjob-nope/metrics", 404, "fine_tuning_job_id", "not_found"),
                Arguments.of("/v1/fine_tuning/jobs/ftjob-nope/checkpoints", 404, "fine_tuning_job_id", "not_found"),
                Arguments.of("/v1/files/file-nope", 404, "file_id", "not_found"),
                Arguments.of("/v1/files/file-nope/content", 404, "file_id", "not_found"),
                Arguments.of("/v1/models/ft:nope", 404, "model", "not_found"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badReads")
    void aBadReadIsRefusedNamingTheParameter(String path, int status, String param, String code) {
        assertProblem(service.get(path), status, param, code);
    }

    @Test
    void uploadsAreValidatedWithLineNumbers() {
        JsonNode file = service.get("/v1/files/" + broken).expect(200).json();
        assertThat(file.get("status").asString()).isEqualTo("error");
        assertThat(file.get("status_details").asString())
                .contains("line 1, field 'prompt': must be a string", "line 2: is not valid JSON")
                .doesNotContain("gson", "https://");
        assertProblem(service.upload("x.jsonl", "{\"text\": \"a\"}\n".getBytes(StandardCharsets.UTF_8), "pretraining"),
                400, "purpose", "invalid_request");
        assertProblem(service.upload("empty.jsonl", new byte[0], "fine-tune"), 400, "file", "invalid_request");
        JsonNode notAModel = service.upload("model.zip", "not a zip".getBytes(StandardCharsets.UTF_8), "model")
                .expect(201).json();
        assertThat(notAModel.get("status").asString()).isEqualTo("error");
        assertThat(notAModel.get("status_details").asString()).startsWith("not a model archive");
    }

    @Test
    void aFileInUseCannotBeDeleted() {
        String job = service.createJob("{\"model\": \"lm-tiny\", \"training_file\": \"" + lm
                + "\", \"hyperparameters\": {\"n_epochs\": 50}}");
        assertProblem(service.delete("/v1/files/" + lm), 409, "file_id", "conflict");
        service.post("/v1/fine_tuning/jobs/" + job + "/cancel", "").expect(200);
        service.awaitStatus(job, "cancelled", java.time.Duration.ofSeconds(60));
        assertThat(service.get("/v1/files/" + lm).status()).isEqualTo(200);
    }

    @Test
    void catalogModelsCannotBeDeleted() {
        assertProblem(service.delete("/v1/models/lm-tiny"), 409, "model", "conflict");
    }

    static void assertProblem(RunningService.Response response, int status, String param, String code) {
        assertThat(response.status()).as(response.body()).isEqualTo(status);
        assertThat(response.contentType()).startsWith("application/problem+json");
        JsonNode problem = response.json();
        assertThat(problem.get("status").asInt()).isEqualTo(status);
        assertThat(problem.get("code").asString()).as(response.body()).isEqualTo(code);
        if (param == null) {
            assertThat(problem.get("param") == null || problem.get("param").isNull()).as(response.body()).isTrue();
        } else {
            assertThat(problem.get("param").asString()).as(response.body()).isEqualTo(param);
        }
        assertThat(problem.get("detail").asString()).isNotBlank().doesNotContain("Exception", "\tat ");
    }
}
