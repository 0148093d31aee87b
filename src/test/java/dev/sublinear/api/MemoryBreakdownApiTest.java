package dev.sublinear.api;

import static dev.sublinear.testing.RunningService.status;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sublinear.testing.RunningService;
import dev.sublinear.testing.ServiceProcess;
import dev.sublinear.testing.TestDatabases;
import dev.sublinear.testing.TinyHfModels;
import dev.sublinear.training.SyntheticData;
import dev.sublinear.training.weights.SafetensorsReader;
import dev.sublinear.training.weights.TensorInfo;
import dev.sublinear.training.weights.WeightType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * {@code optimizer_memory.by_parameter} and {@code by_kind} of real jobs, a catalog model's and
 * uploaded Hugging Face models', against docs/optimizer.md's formula computed here from each
 * parameter's shape (factored [..., n, m]: 4 B (n + m); else 4 N; plus 4 N of momentum when beta1 &gt;
 * 0; Adam: 8 N), the names and shapes against what the model itself says (the catalog's config, the
 * uploaded safetensors), and the totals against the optimizer's own ({@code state_bytes}, {@code
 * adam_equivalent_bytes}).
 */
class MemoryBreakdownApiTest {

    private static final Duration JOB_TIMEOUT = Duration.ofSeconds(240);

    @TempDir
    static Path dir;

    static RunningService service;
    static String training;

    @BeforeAll
    static void start() throws Exception {
        service = RunningService.start(dir.resolve("data"), null);
        training = service.uploadFile(SyntheticData.reversal(dir.resolve("train.jsonl"), 16, 1), "fine-tune");
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    @Test
    void aCatalogModelsParametersFollowTheFormulaWithMomentumAndTheCapSumsTheRest() {
        JsonNode job = run(service, "lm-tiny", training, "\"optimizer\": {\"beta1\": 0.5}");
        JsonNode memory = memory(service, job, "?max_parameters=1000");
        List<JsonNode> all = list(memory.get("by_parameter"));

        // lm-tiny: vocabulary 260, context 128, 2 layers of width 192 and MLP 768 (ModelCatalog)
        long v = 260;
        long p = 128;
        long d = 192;
        long m = 768;
        List<List<Long>> expectedShapes = new ArrayList<>(List.of(List.of(v, d), List.of(p, d), List.of(v, d)));
        for (int layer = 0; layer < 2; layer++) {
            expectedShapes.addAll(List.of(
                    List.of(d), List.of(d), // attention norm
                    List.of(3 * d, d), List.of(3 * d), // qkv
                    List.of(d, d), List.of(d), // out
                    List.of(d), List.of(d), // mlp norm
                    List.of(m, d), List.of(m), // mlp in
                    List.of(d, m), List.of(d))); // mlp out
        }
        expectedShapes.addAll(List.of(List.of(d), List.of(d))); // final norm
        assertThat(all).extracting(MemoryBreakdownApiTest::shape).containsExactlyInAnyOrderElementsOf(expectedShapes);
        assertEveryParameterFollowsTheFormula(service, memory, all, true);
        assertThat(kinds(memory))
                .isEqualTo(Map.of(
                        "embeddings", 2, "attention", 4, "mlp", 4, "norms_and_biases", 18, "head", 1, "other", 0));

        // the cap: the first n of the whole order, the rest summed
        JsonNode capped = memory(service, job, "?max_parameters=3");
        List<JsonNode> top = list(capped.get("by_parameter"));
        assertThat(top).hasSize(3);
        assertThat(top)
                .extracting(n -> n.get("name").asString())
                .containsExactlyElementsOf(all.subList(0, 3).stream()
                        .map(n -> n.get("name").asString())
                        .toList());
        JsonNode rest = capped.get("by_parameter_rest");
        assertThat(rest.get("parameters").asInt()).isEqualTo(all.size() - 3);
        assertThat(sum(top, "state_bytes") + rest.get("state_bytes").asLong())
                .isEqualTo(capped.get("state_bytes").asLong());
        assertThat(sum(top, "adam_equivalent_bytes")
                        + rest.get("adam_equivalent_bytes").asLong())
                .isEqualTo(capped.get("adam_equivalent_bytes").asLong());
        assertThat(capped.get("parameter_count").asInt()).isEqualTo(all.size());
        assertThat(capped.get("by_kind")).isEqualTo(memory.get("by_kind"));

        // the default lists at most 50: all 29 here
        assertThat(memory(service, job, "").get("by_parameter")).hasSize(29);
        JsonNode none = memory(service, job, "?max_parameters=0");
        assertThat(none.get("by_parameter")).isEmpty();
        assertThat(none.get("by_parameter_rest").get("state_bytes").asLong())
                .isEqualTo(none.get("state_bytes").asLong());
    }

    @Test
    void uploadedHuggingFaceModelsAreListedUnderTheirOwnNamesAndShapes() throws Exception {
        Path gpt2 = TinyHfModels.gpt2(dir.resolve("gpt2"), WeightType.F32, 21);
        Path qwen3 = TinyHfModels.llama(dir.resolve("qwen3"), "qwen3", WeightType.F32, 22);
        for (Path base : List.of(gpt2, qwen3)) {
            String name = base.getFileName().toString();
            JsonNode file = service.upload(name + ".zip", PretrainedModelsApiTest.zip(base, name + "/"), "model")
                    .expect(201)
                    .json();
            JsonNode job = run(service, file.get("id").asString(), training, "\"suffix\": \"memory\"");
            JsonNode memory = memory(service, job, "?max_parameters=100000");
            List<JsonNode> all = list(memory.get("by_parameter"));

            Map<String, List<Long>> expected = new TreeMap<>();
            try (SafetensorsReader weights = SafetensorsReader.open(base)) {
                for (TensorInfo t : weights.tensors()) {
                    expected.put(t.name(), Arrays.stream(t.shape()).boxed().toList());
                }
            }
            Map<String, List<Long>> listed = new TreeMap<>();
            for (JsonNode p : all) {
                assertThat(listed.put(p.get("name").asString(), shape(p)))
                        .as("listed once: " + p)
                        .isNull();
            }
            assertThat(listed).as(name).isEqualTo(expected);
            assertEveryParameterFollowsTheFormula(service, memory, all, false);
            Map<String, Integer> kinds = kinds(memory);
            assertThat(kinds.get("other")).as(name + ": every name classified").isZero();
            assertThat(kinds.get("attention")).as(name).isPositive();
            assertThat(kinds.get("mlp")).as(name).isPositive();
            assertThat(kinds.get("embeddings")).as(name).isPositive();
        }
    }

    @Test
    void aBadMaxParametersIsRefusedNamingIt() {
        String create = """
                {"model": "lm-tiny", "training_file": "%s", "hyperparameters": {"max_steps": 1}}""";
        String job = service.createJob(create.formatted(training));
        for (String bad : List.of("-1", "abc", "100001", "1.5")) {
            RunningService.Response r = service.get("/v1/fine_tuning/jobs/" + job + "/metrics?max_parameters=" + bad);
            assertThat(r.status()).as(bad + ": " + r.body()).isEqualTo(400);
            assertThat(r.contentType()).startsWith("application/problem+json");
            assertThat(r.json().get("param").asString()).as(r.body()).isEqualTo("max_parameters");
        }
    }

    @Test
    void aWorkerInAnotherProcessStoresItInPostgresqlAndTheApiServesIt() throws Exception {
        TestDatabases.Database database = TestDatabases.postgres();
        String shared = "--sublinear.artifacts-dir=" + dir.resolve("artifacts");
        try (RunningService api = RunningService.start(dir.resolve("api"), database, shared, "--sublinear.roles=api");
                ServiceProcess worker = ServiceProcess.start(
                        dir.resolve("worker"),
                        database,
                        shared,
                        "--sublinear.roles=worker",
                        "--sublinear.worker.id=memory-worker")) {
            awaitWorker(api, worker);
            String file = api.uploadFile(SyntheticData.reversal(dir.resolve("pg-train.jsonl"), 16, 2), "fine-tune");
            JsonNode job = run(api, "lm-tiny", file, "\"optimizer\": {\"beta1\": 0}");
            // the API process has no worker: the job ran in the other process, which wrote the breakdown
            JsonNode memory = memory(api, job, "?max_parameters=1000");
            assertThat(memory.get("parameter_count").asInt()).isEqualTo(29);
            assertEveryParameterFollowsTheFormula(api, memory, list(memory.get("by_parameter")), false);
        }
    }

    private static void awaitWorker(RunningService api, ServiceProcess process) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < deadline && process.alive()) {
            JsonNode workers = api.get("/v1/workers").expect(200).json().get("data");
            if (!workers.isEmpty() && workers.get(0).get("status").asString().equals("online")) {
                return;
            }
            RunningService.sleep(200);
        }
        throw new AssertionError("the worker did not register:\n" + Files.readString(process.log()));
    }

    /** Runs a 2-step job to success; answers the finished job. */
    private static JsonNode run(RunningService on, String model, String file, String extra) {
        String create = """
                {"model": "%s", "training_file": "%s", "hyperparameters": {"max_steps": 2, "batch_size": 4},
                 %s}""";
        String job = on.createJob(create.formatted(model, file, extra));
        JsonNode done = on.awaitJob(job, status("succeeded", "failed", "cancelled"), JOB_TIMEOUT);
        assertThat(done.get("status").asString()).as(done.toString()).isEqualTo("succeeded");
        return done;
    }

    private static JsonNode memory(RunningService on, JsonNode job, String query) {
        JsonNode memory = on.get("/v1/fine_tuning/jobs/" + job.get("id").asString() + "/metrics" + query)
                .expect(200)
                .json()
                .get("optimizer_memory");
        assertThat(memory.get("by_parameter").isArray()).as(memory.toString()).isTrue();
        return memory;
    }

    /**
     * Each parameter against the formula (Adafactor's defaults: factored from rank 2 with no minimum
     * size), the whole list against the optimizer's totals and its order (most saved first, ties by name).
     */
    private static void assertEveryParameterFollowsTheFormula(
            RunningService on, JsonNode memory, List<JsonNode> all, boolean momentum) {
        List<String> devices = new ArrayList<>();
        on.get("/v1/workers")
                .expect(200)
                .json()
                .get("data")
                .get(0)
                .get("devices")
                .forEach(d -> devices.add(d.get("name").asString()));
        assertThat(memory.get("parameter_count").asInt()).isEqualTo(all.size());
        for (JsonNode p : all) {
            List<Long> shape = shape(p);
            long elements = shape.stream().reduce(1L, (a, b) -> a * b);
            boolean factored = shape.size() >= 2;
            long second;
            if (factored) {
                long rows = shape.get(shape.size() - 2);
                long columns = shape.get(shape.size() - 1);
                second = elements / (rows * columns) * (rows + columns);
            } else {
                second = elements;
            }
            long expected = 4 * (second + (momentum ? elements : 0));
            String name = p.get("name").asString();
            assertThat(p.get("state_bytes").asLong()).as(name).isEqualTo(expected);
            assertThat(p.get("adam_equivalent_bytes").asLong()).as(name).isEqualTo(8 * elements);
            assertThat(p.get("saved_bytes").asLong()).as(name).isEqualTo(8 * elements - expected);
            assertThat(p.get("parameter_bytes").asLong()).as(name).isEqualTo(4 * elements);
            assertThat(p.get("second_moment").asString()).as(name).isEqualTo(factored ? "factored" : "full");
            assertThat(p.get("dtype").asString()).as(name).isEqualTo("float32");
            // devices of the (one) worker, named as it names them (cpu here)
            assertThat(devices)
                    .as(name)
                    .containsAll(List.of(p.get("device").asString().split(",")));
        }
        assertThat(memory.get("by_parameter_rest").get("parameters").asInt()).isZero();
        assertThat(sum(all, "state_bytes")).isEqualTo(memory.get("state_bytes").asLong());
        assertThat(sum(all, "adam_equivalent_bytes"))
                .isEqualTo(memory.get("adam_equivalent_bytes").asLong());
        for (int i = 1; i < all.size(); i++) {
            JsonNode a = all.get(i - 1);
            JsonNode b = all.get(i);
            long savedA = a.get("saved_bytes").asLong();
            long savedB = b.get("saved_bytes").asLong();
            assertThat(savedA > savedB
                            || (savedA == savedB
                                    && a.get("name")
                                                    .asString()
                                                    .compareTo(b.get("name").asString())
                                            < 0))
                    .as("%s before %s", a, b)
                    .isTrue();
        }
        List<JsonNode> kinds = list(memory.get("by_kind"));
        assertThat(kinds)
                .extracting(k -> k.get("kind").asString())
                .containsExactly("embeddings", "attention", "mlp", "norms_and_biases", "head", "other");
        assertThat(kinds.stream().mapToInt(k -> k.get("parameters").asInt()).sum())
                .isEqualTo(all.size());
        assertThat(sum(kinds, "state_bytes"))
                .isEqualTo(memory.get("state_bytes").asLong());
        assertThat(sum(kinds, "adam_equivalent_bytes"))
                .isEqualTo(memory.get("adam_equivalent_bytes").asLong());
        assertThat(sum(kinds, "parameter_bytes")).isEqualTo(sum(all, "parameter_bytes"));
        Map<String, Long> stateByKind = new HashMap<>();
        for (JsonNode p : all) {
            stateByKind.merge(p.get("kind").asString(), p.get("state_bytes").asLong(), Long::sum);
        }
        for (JsonNode k : kinds) {
            assertThat(k.get("state_bytes").asLong())
                    .as(k.toString())
                    .isEqualTo(stateByKind.getOrDefault(k.get("kind").asString(), 0L));
        }
    }

    private static Map<String, Integer> kinds(JsonNode memory) {
        Map<String, Integer> kinds = new HashMap<>();
        for (JsonNode k : memory.get("by_kind")) {
            kinds.put(k.get("kind").asString(), k.get("parameters").asInt());
        }
        return kinds;
    }

    private static List<Long> shape(JsonNode parameter) {
        return list(parameter.get("shape")).stream().map(JsonNode::asLong).toList();
    }

    private static List<JsonNode> list(JsonNode array) {
        return StreamSupport.stream(array.spliterator(), false).toList();
    }

    private static long sum(List<JsonNode> nodes, String field) {
        return nodes.stream().mapToLong(n -> n.get(field).asLong()).sum();
    }
}
