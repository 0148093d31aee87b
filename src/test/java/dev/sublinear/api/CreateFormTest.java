package dev.sublinear.api;

import static dev.sublinear.api.BadInputTest.assertProblem;
import static org.assertj.core.api.Assertions.assertThat;

import com.openai.core.ObjectMappers;
import com.openai.models.finetuning.jobs.FineTuningJob;
import dev.sublinear.testing.RunningService;
import dev.sublinear.training.SyntheticData;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import tools.jackson.databind.JsonNode;

/**
 * OpenAI's create form ({@code method}, "auto", {@code learning_rate_multiplier}) beside the
 * deprecated one, the list filters the official SDKs send, and request bodies read without
 * coercion: through the running service, as a client sees them.
 */
class CreateFormTest {

    private static final String JOBS = "/v1/fine_tuning/jobs";

    @TempDir
    static Path dir;

    static RunningService service;
    /** 16 examples: "auto" gives 100 / 16 = 6 epochs and batches of 8. */
    static String sixteen;
    /** 40 examples: 3 epochs train 120 >= 100 examples. */
    static String forty;

    @BeforeAll
    static void start() throws Exception {
        service = RunningService.start(dir.resolve("data"), null, "--sublinear.limits.requests-per-second=100000");
        sixteen = service.uploadFile(SyntheticData.reversal(dir.resolve("sixteen.jsonl"), 16, 1), "fine-tune");
        forty = service.uploadFile(SyntheticData.reversal(dir.resolve("forty.jsonl"), 40, 2), "fine-tune");
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    /** A job that trains one step at most, so the worker is soon free again. */
    private static String job(String file, String fields) {
        return "{\"model\": \"lm-tiny\", \"training_file\": \"" + file + "\", \"seed\": 5"
                + (fields.isEmpty() ? "" : ", " + fields) + "}";
    }

    private static JsonNode create(String body) {
        return service.post(JOBS, body).expect(201).json();
    }

    @Test
    void bothFormsGiveTheSameJob() {
        String h = "{\"n_epochs\": 2, \"batch_size\": 4, \"learning_rate_multiplier\": 0.5, \"max_steps\": 1}";
        JsonNode deprecated = create(job(sixteen, "\"optimizer\": {\"type\": \"adam\"}, \"hyperparameters\": " + h));
        JsonNode method = create(job(
                sixteen,
                "\"optimizer\": {\"type\": \"adam\"}, \"method\": {\"type\": \"supervised\", \"supervised\":"
                        + " {\"hyperparameters\": " + h + "}}"));
        for (String field : List.of("hyperparameters", "method", "optimizer", "seed")) {
            assertThat(method.get(field)).as(field).isEqualTo(deprecated.get(field));
        }
        JsonNode hyperparameters = method.get("hyperparameters");
        assertThat(hyperparameters.get("n_epochs").asInt()).isEqualTo(2);
        assertThat(hyperparameters.get("batch_size").asInt()).isEqualTo(4);
        assertThat(hyperparameters.get("learning_rate").asDouble()).isEqualTo(0.5e-3);
        assertThat(hyperparameters.get("learning_rate_multiplier").asDouble()).isEqualTo(0.5);
        assertThat(method.get("method").toString())
                .isEqualTo("{\"type\":\"supervised\",\"supervised\":{\"hyperparameters\":"
                        + "{\"n_epochs\":2,\"batch_size\":4,\"learning_rate_multiplier\":0.5}}}");
    }

    @Test
    void autoResolvesFromTheTrainingExamplesAndTheSdkReadsTheEcho() throws Exception {
        JsonNode auto = create(job(
                sixteen,
                "\"method\": {\"type\": \"supervised\", \"supervised\": {\"hyperparameters\": {\"n_epochs\": \"auto\","
                        + " \"batch_size\": \"auto\", \"learning_rate_multiplier\": \"auto\", \"max_steps\": 1}}}"));
        JsonNode resolved = auto.get("method").get("supervised").get("hyperparameters");
        assertThat(resolved.get("n_epochs").asInt()).isEqualTo(6);
        assertThat(resolved.get("batch_size").asInt()).isEqualTo(8);
        // Adafactor's relative step on a catalog model has no fixed rate to multiply
        assertThat(resolved.get("learning_rate_multiplier").isNull()).isTrue();
        assertThat(auto.get("hyperparameters").get("learning_rate_multiplier").isNull())
                .isTrue();

        JsonNode leftOut = create(job(forty, "\"hyperparameters\": {\"max_steps\": 1}"));
        assertThat(leftOut.get("hyperparameters").get("n_epochs").asInt()).isEqualTo(3);
        assertThat(leftOut.get("hyperparameters").get("batch_size").asInt()).isEqualTo(8);

        // openai-java reads and validates both the method and the top-level hyperparameters as its types
        var sdk = ObjectMappers.jsonMapper();
        for (JsonNode job : List.of(auto, leftOut)) {
            sdk.readValue(job.get("method").toString(), FineTuningJob.Method.class)
                    .validate();
            FineTuningJob.Hyperparameters h = sdk.readValue(
                            job.get("hyperparameters").toString(), FineTuningJob.Hyperparameters.class)
                    .validate();
            assertThat(h.nEpochs().orElseThrow().asInteger())
                    .isEqualTo(job.get("hyperparameters").get("n_epochs").asLong());
        }
        FineTuningJob.Method withRate = sdk.readValue(
                        create(job(
                                        sixteen,
                                        "\"optimizer\": {\"type\": \"adamw\"}, \"hyperparameters\": {\"max_steps\":"
                                                + " 1, \"learning_rate_multiplier\": 2}"))
                                .get("method")
                                .toString(),
                        FineTuningJob.Method.class)
                .validate();
        assertThat(withRate.supervised()
                        .orElseThrow()
                        .hyperparameters()
                        .orElseThrow()
                        .learningRateMultiplier()
                        .orElseThrow()
                        .asNumber())
                .isEqualTo(2.0);
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "\"method\": {\"type\": \"dpo\", \"dpo\": {}}|method.type",
                "\"method\": {\"type\": \"reinforcement\"}|method.type",
                "\"method\": {\"type\": \"supervised\", \"supervised\": {\"hyperparameters\": {\"n_epochs\": 1}}},"
                        + " \"hyperparameters\": {\"n_epochs\": 1}|hyperparameters",
                "\"hyperparameters\": {\"n_epochs\": \"three\"}|hyperparameters.n_epochs",
                "\"method\": {\"type\": \"supervised\", \"supervised\": {\"hyperparameters\": {\"batch_size\":"
                        + " \"8\"}}}|method.supervised.hyperparameters.batch_size",
                "\"hyperparameters\": {\"learning_rate_multiplier\": 2}" + "|hyperparameters.learning_rate_multiplier",
                "\"optimizer\": {\"type\": \"adam\"}, \"hyperparameters\": {\"learning_rate_multiplier\": 2,"
                        + " \"learning_rate\": 0.001}|hyperparameters.learning_rate_multiplier",
            })
    void aFormThisServiceCannotTrainIsRefusedNamingTheField(String fields, String param) {
        assertProblem(service.post(JOBS, job(sixteen, fields)), 400, param, "invalid_request");
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = '|',
            value = {
                "/v1/fine_tuning/jobs|{\"model\": 5, \"training_file\": \"file-x\"}|model",
                "/v1/fine_tuning/jobs|{\"model\": \"lm-tiny\", \"training_file\": \"file-x\", \"suffix\": 12}|suffix",
                "/v1/fine_tuning/jobs|{\"model\": \"lm-tiny\", \"training_file\": true}|training_file",
                "/v1/fine_tuning/jobs|{\"model\": \"lm-tiny\", \"training_file\": \"file-x\", \"metadata\":"
                        + " {\"team\": 5}}|metadata.team",
                "/v1/fine_tuning/jobs|{\"model\": \"lm-tiny\", \"training_file\": \"file-x\", \"priority\":"
                        + " \"3\"}|priority",
                "/v1/fine_tuning/jobs|{\"model\": \"lm-tiny\", \"training_file\": \"file-x\", \"optimizer\":"
                        + " {\"relative_step\": 1}}|optimizer.relative_step",
                "/v1/fine_tuning/jobs|{\"model\": \"lm-tiny\", \"training_file\": \"file-x\", \"optimizer\":"
                        + " {\"type\": 1.5}}|optimizer.type",
                "/v1/completions|{\"model\": 5, \"prompt\": \"abc\"}|model",
                "/v1/completions|{\"model\": \"lm-tiny\", \"prompt\": \"abc\", \"user\": false}|user",
            })
    void aScalarOfTheWrongTypeIsNotCoerced(String path, String body, String param) {
        assertProblem(service.post(path, body), 400, param, "invalid_type");
    }

    @Test
    void jobsAreFilteredByEveryMetadataPairWithExactPages() {
        String tag = "run-" + System.nanoTime();
        List<String> ab = new ArrayList<>();
        List<String> a = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            String metadata = i % 2 == 0
                    ? "{\"tag\": \"" + tag + "\", \"team\": \"a\", \"x\": \"1\"}"
                    : "{\"tag\": \"" + tag + "\", \"team\": \"a\"}";
            String id = create(job(forty, "\"hyperparameters\": {\"max_steps\": 1}, \"metadata\": " + metadata))
                    .get("id")
                    .asString();
            a.add(0, id); // newest first
            if (i % 2 == 0) {
                ab.add(0, id);
            }
            create(job(
                    forty,
                    "\"hyperparameters\": {\"max_steps\": 1}, \"metadata\": {\"tag\": \"" + tag
                            + "\", \"team\": \"b\", \"x\": \"1\"}"));
        }
        String byTag = JOBS + "?" + q("metadata[tag]") + "=" + tag;
        assertThat(ids(service.get(byTag + "&" + q("metadata[team]") + "=a&limit=100")
                        .expect(200)
                        .json()))
                .isEqualTo(a);
        assertThat(ids(service.get(byTag + "&" + q("metadata[team]") + "=a&" + q("metadata[x]") + "=1")
                        .expect(200)
                        .json()))
                .isEqualTo(ab);
        assertThat(ids(service.get(JOBS + "?" + q("metadata[tag]") + "=nobody")
                        .expect(200)
                        .json()))
                .isEmpty();

        // paging by after through the filtered list meets every match once, and has_more is exact
        List<String> paged = new ArrayList<>();
        String after = null;
        boolean more = true;
        while (more) {
            JsonNode page = service.get(
                            byTag + "&" + q("metadata[team]") + "=a&limit=2" + (after == null ? "" : "&after=" + after))
                    .expect(200)
                    .json();
            paged.addAll(ids(page));
            more = page.get("has_more").asBoolean();
            after = page.get("last_id").asString();
        }
        assertThat(paged).isEqualTo(a);
    }

    @Test
    void filesAreListedInEitherOrder() throws Exception {
        List<String> uploaded = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            uploaded.add(service.uploadFile(
                    SyntheticData.reversal(dir.resolve("order" + i + ".jsonl"), 4, 10 + i), "fine-tune"));
        }
        List<String> desc = ids(service.get("/v1/files?limit=10000").expect(200).json());
        List<String> asc =
                ids(service.get("/v1/files?order=asc&limit=10000").expect(200).json());
        assertThat(desc)
                .isEqualTo(ids(service.get("/v1/files?order=desc&limit=10000")
                        .expect(200)
                        .json()));
        List<String> reversed = new ArrayList<>(desc);
        Collections.reverse(reversed);
        assertThat(asc).isEqualTo(reversed);
        assertThat(asc).containsSubsequence(uploaded);

        List<String> paged = new ArrayList<>();
        String after = null;
        boolean more = true;
        while (more) {
            JsonNode page = service.get(
                            "/v1/files?order=asc&purpose=fine-tune&limit=2" + (after == null ? "" : "&after=" + after))
                    .expect(200)
                    .json();
            paged.addAll(ids(page));
            more = page.get("has_more").asBoolean();
            after = page.get("last_id").asString();
        }
        assertThat(paged).isEqualTo(asc);
    }

    @ParameterizedTest
    @CsvSource({
        "/v1/files?order=newest, order",
        "/v1/files?sort=asc, sort",
        "/v1/files?limit=10001, limit",
        "/v1/fine_tuning/jobs?order=asc, order",
        "/v1/fine_tuning/jobs?metadata=x, metadata",
        "/v1/fine_tuning/jobs?limit=1&limit=2, limit",
        "/v1/fine_tuning/jobs/ftjob-x/events?order=asc, order",
    })
    void aQueryParameterTheListDoesNotTakeIsRefused(String path, String param) {
        assertProblem(service.get(path), 400, param, "invalid_request");
    }

    private static String q(String name) {
        return URLEncoder.encode(name, StandardCharsets.UTF_8);
    }

    private static List<String> ids(JsonNode list) {
        List<String> ids = new ArrayList<>();
        list.get("data").forEach(j -> ids.add(j.get("id").asString()));
        return ids;
    }
}
