package dev.sublinear.api;

import static dev.sublinear.testing.RunningService.status;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sublinear.testing.RunningService;
import dev.sublinear.testing.ServiceClient;
import dev.sublinear.training.SyntheticData;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;

/** API keys decide the tenant; tenants never see each other's resources; limits hold and are visible. */
class TenantsTest {

    @TempDir
    static Path dir;

    static RunningService service;
    static ServiceClient alice;
    static ServiceClient bob;
    static String aliceKey;
    static Map<String, String> aliceIds;

    @BeforeAll
    static void start() throws Exception {
        service = RunningService.start(dir.resolve("data"), null);
        aliceKey = newTenant("alice", false);
        alice = service.as(aliceKey);
        bob = service.as(newTenant("bob", false));

        String file = alice.uploadFile(SyntheticData.reversal(dir.resolve("a.jsonl"), 16, 1), "fine-tune");
        String job = alice.createJob("""
                {"model": "lm-tiny", "training_file": "%s", "hyperparameters": {"max_steps": 4,
                 "checkpoint_interval_steps": 2}}""".formatted(file));
        JsonNode done = alice.awaitJob(job, status("succeeded", "failed"), Duration.ofSeconds(120));
        assertThat(done.get("status").asString()).isEqualTo("succeeded");
        String checkpoint = alice.get("/v1/fine_tuning/jobs/" + job + "/checkpoints")
                .json()
                .get("data")
                .get(0)
                .get("id")
                .asString();
        String keyId = service.get("/v1/admin/tenants/alice/keys")
                .expect(200)
                .json()
                .get("data")
                .get(0)
                .get("id")
                .asString();
        aliceIds = Map.of(
                "file_id",
                file,
                "job_id",
                job,
                "checkpoint_id",
                checkpoint,
                "model_id",
                done.get("fine_tuned_model").asString(),
                "tenant_id",
                "alice",
                "key_id",
                keyId);
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    static String newTenant(String id, boolean admin) {
        service.post("/v1/admin/tenants", "{\"id\": \"" + id + "\", \"name\": \"" + id + "\"}")
                .expect(201);
        return service.post("/v1/admin/tenants/" + id + "/keys", "{\"name\": \"test\", \"admin\": " + admin + "}")
                .expect(201)
                .json()
                .get("secret")
                .asString();
    }

    @Test
    void requestsWithoutAWorkingKeyAreRefused() {
        ServiceClient anonymous = new ServiceClient(service.baseUrl(), null);
        RunningService.Response none = anonymous.get("/v1/files");
        BadInputTest.assertProblem(none, 401, "Authorization", "unauthorized");
        BadInputTest.assertProblem(service.as("sl-not-a-key").get("/v1/files"), 401, "Authorization", "unauthorized");
        BadInputTest.assertProblem(
                anonymous.send(anonymous
                        .request("/v1/files")
                        .header("Authorization", "Basic abc")
                        .GET()
                        .build()),
                401,
                "Authorization",
                "unauthorized");

        String doomed = service.post("/v1/admin/tenants/bob/keys", "{\"name\": \"doomed\"}")
                .expect(201)
                .json()
                .get("secret")
                .asString();
        service.as(doomed).get("/v1/files").expect(200);
        String id = service.get("/v1/admin/tenants/bob/keys")
                .json()
                .get("data")
                .get(1)
                .get("id")
                .asString();
        service.delete("/v1/admin/keys/" + id).expect(200);
        BadInputTest.assertProblem(service.as(doomed).get("/v1/files"), 401, "Authorization", "unauthorized");
        // health stays open for probes
        anonymous.get("/actuator/health/readiness").expect(200);
    }

    @Test
    void adminEndpointsNeedAnAdminKey() {
        BadInputTest.assertProblem(alice.get("/v1/admin/tenants"), 403, null, "forbidden");
        assertThat(service.get("/v1/admin/tenants")
                        .expect(200)
                        .json()
                        .get("data")
                        .size())
                .isGreaterThanOrEqualTo(3);
    }

    @Test
    void onlyHashesOfKeysAreStored() {
        JsonNode keys =
                service.get("/v1/admin/tenants/alice/keys").expect(200).json().get("data");
        assertThat(keys.get(0).get("secret").isNull()).isTrue();
        assertThat(keys.get(0).get("hint").asString()).isEqualTo("…" + aliceKey.substring(aliceKey.length() - 4));
        JdbcClient jdbc = service.context().getBean(JdbcClient.class);
        List<String> stored = jdbc.sql("SELECT key_hash || hint || name FROM api_keys")
                .query(String.class)
                .list();
        assertThat(stored).noneMatch(s -> s.contains(aliceKey) || s.contains(ServiceClient.ADMIN_KEY));
    }

    @Test
    void anotherTenantSeesNothingOfAlicesOnEveryEndpoint() {
        Map<String, Map<String, Object>> paths =
                OpenApiContractTest.cast(OpenApiContractTest.loadContract().get("paths"));
        List<String> walked = new ArrayList<>();
        paths.forEach((template, operations) -> operations.keySet().forEach(method -> {
            String path = template;
            for (Map.Entry<String, String> id : aliceIds.entrySet()) {
                path = path.replace("{" + id.getKey() + "}", id.getValue());
            }
            RunningService.Response response = call(bob, method, path, template);
            String what = method.toUpperCase() + " " + template;
            walked.add(what);
            // a refusal may echo the id bob sent; an answer that succeeds must hold nothing of alice's
            if (response.status() < 400) {
                for (String id : aliceIds.values()) {
                    assertThat(response.body()).as(what).doesNotContain(id.equals("alice") ? "\"alice\"" : id);
                }
            }
            if (template.startsWith("/v1/admin") || template.equals("/v1/workers")) {
                // the workers list names the service's hosts: admin keys only
                assertThat(response.status()).as(what).isEqualTo(403);
            } else if (template.contains("{")) {
                assertThat(response.status())
                        .as("%s: %s", what, response.body())
                        .isEqualTo(404);
            } else if (method.equals("get")) {
                assertThat(response.status()).as(what).isEqualTo(200);
            } else {
                // creating with alice's file: refused as if it did not exist
                assertThat(response.status())
                        .as("%s: %s", what, response.body())
                        .isIn(201, 400);
            }
        }));
        assertThat(walked).hasSizeGreaterThanOrEqualTo(30);
        // and alice still has everything
        alice.get("/v1/files/" + aliceIds.get("file_id")).expect(200);
        alice.get("/v1/fine_tuning/jobs/" + aliceIds.get("job_id")).expect(200);
        alice.get("/v1/models/" + aliceIds.get("model_id")).expect(200);
    }

    private static RunningService.Response call(ServiceClient client, String method, String path, String template) {
        String body = switch (template) {
            case "/v1/fine_tuning/jobs" ->
                "{\"model\": \"lm-tiny\", \"training_file\": \"" + aliceIds.get("file_id") + "\"}";
            case "/v1/models/{model_id}/completions" -> "{\"prompt\": \"a\"}";
            case "/v1/models/{model_id}/predictions" -> "{\"text\": \"a\"}";
            case "/v1/admin/tenants" -> "{\"id\": \"mallory\"}";
            case "/v1/admin/tenants/{tenant_id}/keys" -> "{\"admin\": true}";
            case "/v1/admin/tenants/{tenant_id}/limits" -> "{\"max_running_jobs\": 100}";
            default -> "";
        };
        return switch (method) {
            case "get" -> client.get(path);
            case "delete" -> client.delete(path);
            case "put" ->
                client.send(client.request(path)
                        .header("Content-Type", "application/json")
                        .PUT(HttpRequest.BodyPublishers.ofString(body))
                        .build());
            default ->
                template.equals("/v1/files")
                        ? client.upload(
                                "x.jsonl", "{\"text\": \"hello\"}\n".getBytes(StandardCharsets.UTF_8), "fine-tune")
                        : client.post(path, body);
        };
    }

    @Test
    void aTenantsStorageLimitHoldsAndNothingIsWrittenPastIt() {
        ServiceClient dave = service.as(newTenant("dave", false));
        service.send(service.request("/v1/admin/tenants/dave/limits")
                        .header("Content-Type", "application/json")
                        .PUT(HttpRequest.BodyPublishers.ofString("{\"max_storage_bytes\": 1000}"))
                        .build())
                .expect(200);
        byte[] lines = "{\"text\": \"%s\"}\n".formatted("a".repeat(580)).getBytes(StandardCharsets.UTF_8);
        dave.upload("one.jsonl", lines, "fine-tune").expect(201);
        BadInputTest.assertProblem(dave.upload("two.jsonl", lines, "fine-tune"), 429, "file", "quota_exceeded");
        assertThat(dave.get("/v1/files").json().get("data").size()).isEqualTo(1);
        assertThat(dave.get("/v1/limits")
                        .json()
                        .get("usage")
                        .get("storage_bytes")
                        .asLong())
                .isEqualTo(lines.length);
    }

    @Test
    void limitsAreVisibleAndHold() throws Exception {
        ServiceClient carol = service.as(newTenant("carol", false));
        service.send(service.request("/v1/admin/tenants/carol/limits")
                        .header("Content-Type", "application/json")
                        .PUT(HttpRequest.BodyPublishers.ofString("""
                        {"max_running_jobs": 1, "max_queued_jobs": 1, "max_upload_lines": 20, "max_upload_bytes": 4000,
                         "requests_per_second": 20}"""))
                        .build())
                .expect(200);
        JsonNode limits = carol.get("/v1/limits").expect(200).json();
        assertThat(limits.get("tenant_id").asString()).isEqualTo("carol");
        assertThat(limits.get("limits").get("max_queued_jobs").asInt()).isEqualTo(1);
        assertThat(limits.get("limits").get("max_gpus").asInt()).isEqualTo(16);

        String file = carol.uploadFile(SyntheticData.reversal(dir.resolve("c.jsonl"), 20, 3), "fine-tune");
        BadInputTest.assertProblem(
                carol.upload(
                        "long.jsonl",
                        Files.readAllBytes(SyntheticData.reversal(dir.resolve("c2.jsonl"), 21, 3)),
                        "fine-tune"),
                400,
                "file",
                "invalid_request");
        BadInputTest.assertProblem(
                carol.upload("big.jsonl", new byte[5000], "fine-tune"), 413, "file", "file_too_large");

        String body = "{\"model\": \"lm-tiny\", \"training_file\": \"" + file
                + "\", \"hyperparameters\": {\"n_epochs\": 200}}";
        String running = carol.createJob(body);
        carol.awaitStatus(running, "running", Duration.ofSeconds(60));
        String queued = carol.createJob(body); // waits: carol may run one job at a time
        RunningService.sleep(500);
        assertThat(carol.get("/v1/fine_tuning/jobs/" + queued)
                        .json()
                        .get("status")
                        .asString())
                .isEqualTo("queued");
        BadInputTest.assertProblem(carol.post("/v1/fine_tuning/jobs", body), 429, null, "quota_exceeded");
        JsonNode usage = carol.get("/v1/limits").json().get("usage");
        assertThat(usage.get("running_jobs").asInt()).isEqualTo(1);
        assertThat(usage.get("queued_jobs").asInt()).isEqualTo(1);
        carol.post("/v1/fine_tuning/jobs/" + running + "/cancel", "").expect(200);
        carol.post("/v1/fine_tuning/jobs/" + queued + "/cancel", "").expect(200);
        carol.awaitStatus(running, "cancelled", Duration.ofSeconds(60));

        // 20 requests per second with bursts of 40: a quick burst of 60 meets the limit
        int limited = 0;
        String retryAfter = null;
        for (int i = 0; i < 60; i++) {
            var r = carol.send(carol.request("/v1/limits").GET().build());
            if (r.status() == 429) {
                limited++;
                assertThat(r.json().get("code").asString()).isEqualTo("rate_limited");
            }
        }
        var raw = carol.http().send(carol.request("/v1/limits").GET().build(), HttpResponse.BodyHandlers.ofString());
        if (raw.statusCode() == 429) {
            retryAfter = raw.headers().firstValue("Retry-After").orElse(null);
            assertThat(retryAfter).isNotNull();
            assertThat(Integer.parseInt(retryAfter)).isPositive();
        }
        assertThat(limited).isPositive();
    }
}
