package dev.sublinear.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sublinear.testing.RunningService;
import dev.sublinear.testing.ServiceClient;
import dev.sublinear.training.SyntheticData;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

/**
 * Errors that never reach a controller (a TRACE, a direct request for Spring Boot's error path)
 * are problem+json with a code like every other error, never Spring Boot's default
 * {@code {"timestamp", "path", …}} body; and every error, whoever answers it (a controller, Spring
 * MVC, Spring Security, a filter, Tomcat), carries OpenAI's {@code error} envelope with the type
 * for its status.
 */
class ErrorResponsesTest {

    @TempDir
    static Path dir;

    static RunningService service;

    @BeforeAll
    static void start() {
        service = RunningService.start(dir.resolve("data"), null);
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    @ParameterizedTest(name = "TRACE {0}")
    @ValueSource(strings = {"/v1/files", "/v1/fine_tuning/jobs", "/", "/actuator/health", "/error", "/no-such-path"})
    void traceIsRefusedAsAProblem(String path) {
        RunningService.Response r = service.send(service.request(path)
                .method("TRACE", HttpRequest.BodyPublishers.noBody())
                .build());
        assertProblem(r, 405, "method_not_allowed");
    }

    @ParameterizedTest(name = "{0} /error")
    @ValueSource(strings = {"GET", "POST", "DELETE", "PUT"})
    void theErrorPathIsAProblem(String method) {
        RunningService.Response r = service.send(service.request("/error")
                .header("Content-Type", "application/json")
                .method(method, HttpRequest.BodyPublishers.ofString("{}"))
                .build());
        assertProblem(r, 404, "not_found");
    }

    @Test
    void theErrorPathIsAProblemEvenForABrowser() {
        RunningService.Response r = service.send(
                service.request("/error").header("Accept", "text/html").GET().build());
        assertProblem(r, 404, "not_found");
        RunningService.Response anonymous = service.as(null)
                .send(service.as(null)
                        .request("/error")
                        .header("Accept", "text/html,application/xhtml+xml")
                        .GET()
                        .build());
        // without a key, refusing the request (401) is as good an answer as finding nothing there
        if (anonymous.status() == 401) {
            assertProblem(anonymous, 401, "unauthorized");
        } else {
            assertProblem(anonymous, 404, "not_found");
        }
    }

    @Test
    void everyKindOfErrorCarriesOpenAisEnvelopeWithTheTypeOfItsStatus() throws Exception {
        // a controller's refusals (Problems)
        assertEnvelope(service.post("/v1/fine_tuning/jobs", "{\"model\": "), 400, "invalid_request_error");
        assertEnvelope(service.get("/v1/fine_tuning/jobs/ftjob-nope"), 404, "not_found_error");
        String file = service.uploadFile(SyntheticData.reversal(dir.resolve("train.jsonl"), 16, 1), "fine-tune");
        String job = service.createJob("""
                {"model": "lm-tiny", "training_file": "%s", "hyperparameters": {"n_epochs": 50}}""".formatted(file));
        service.post("/v1/fine_tuning/jobs/" + job + "/cancel", "").expect(200);
        service.awaitStatus(job, "cancelled", Duration.ofSeconds(60));
        // an ended job cannot be resumed: a 409, which OpenAI answers as a request error
        assertEnvelope(service.post("/v1/fine_tuning/jobs/" + job + "/resume", ""), 409, "invalid_request_error");

        // Spring MVC's own refusals
        assertEnvelope(
                service.send(service.request("/v1/fine_tuning/jobs").DELETE().build()), 405, "invalid_request_error");
        assertEnvelope(
                service.send(service.request("/v1/fine_tuning/jobs")
                        .header("Content-Type", "text/plain")
                        .POST(HttpRequest.BodyPublishers.ofString("hello"))
                        .build()),
                415,
                "invalid_request_error");
        // the body limit (a filter)
        assertEnvelope(
                service.post("/v1/fine_tuning/jobs", "{\"suffix\": \"" + "x".repeat(70_000) + "\"}"),
                413,
                "invalid_request_error");

        // Spring Security: no key, a wrong key, a tenant's key on an admin route
        ServiceClient anonymous = new ServiceClient(service.baseUrl(), null);
        assertEnvelope(anonymous.get("/v1/files"), 401, "authentication_error");
        assertEnvelope(service.as("sl-not-a-key").get("/v1/files"), 401, "authentication_error");
        service.post("/v1/admin/tenants", "{\"id\": \"slow\", \"name\": \"slow\"}")
                .expect(201);
        service.send(service.request("/v1/admin/tenants/slow/limits")
                        .header("Content-Type", "application/json")
                        .PUT(HttpRequest.BodyPublishers.ofString("{\"requests_per_second\": 1}"))
                        .build())
                .expect(200);
        ServiceClient slow = service.as(service.post("/v1/admin/tenants/slow/keys", "{\"name\": \"k\"}")
                .expect(201)
                .json()
                .get("secret")
                .asString());
        assertEnvelope(slow.get("/v1/admin/tenants"), 403, "permission_error");

        // the rate limit (a filter): one request a second, bursts of two
        RunningService.Response limited = null;
        for (int i = 0; i < 10 && limited == null; i++) {
            RunningService.Response r = slow.get("/v1/limits");
            if (r.status() == 429) {
                limited = r;
            }
        }
        assertThat(limited)
                .as("a burst of 10 at one request a second is limited")
                .isNotNull();
        assertEnvelope(limited, 429, "rate_limit_error");

        // Spring Security's path firewall
        RunningService.Response firewalled = service.send(service.request("")
                .uri(URI.create(service.baseUrl() + "/v1/files;x"))
                .GET()
                .build());
        assertEnvelope(firewalled, 400, "invalid_request_error");
        assertThat(firewalled.json().get("code").asString()).isEqualTo("invalid_path");

        // the servlet container: a path Tomcat refuses before the application sees it, and a TRACE
        assertEnvelope(
                service.send(service.request("")
                        .uri(URI.create(service.baseUrl() + "/v1/files/a%2fb"))
                        .GET()
                        .build()),
                400,
                "invalid_request_error");
        assertEnvelope(
                service.send(service.request("/v1/files")
                        .method("TRACE", HttpRequest.BodyPublishers.noBody())
                        .build()),
                405,
                "invalid_request_error");
    }

    /**
     * OpenAI's envelope as the official SDKs read it (message, type, param, code), saying what the
     * problem's members say.
     */
    static void assertEnvelope(RunningService.Response r, int status, String type) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.contentType()).as(r.body()).startsWith("application/problem+json");
        JsonNode problem = r.json();
        JsonNode error = problem.get("error");
        assertThat(error).as(r.body()).isNotNull();
        assertThat(error.isObject()).as(r.body()).isTrue();
        assertThat(error.get("type").asString()).as(r.body()).isEqualTo(type);
        assertThat(error.get("message").asString())
                .as(r.body())
                .isNotBlank()
                .isEqualTo(problem.get("detail").asString());
        assertThat(error.get("code").asString())
                .as(r.body())
                .isNotBlank()
                .isEqualTo(problem.get("code").asString());
        assertThat(error.has("param")).as(r.body()).isTrue();
        assertThat(error.get("param")).as(r.body()).isEqualTo(problem.get("param"));
    }

    static void assertProblem(RunningService.Response r, int status, String code) {
        assertThat(r.status()).as(r.body()).isEqualTo(status);
        assertThat(r.contentType()).as(r.body()).startsWith("application/problem+json");
        JsonNode problem = r.json();
        assertThat(problem.get("status").asInt()).isEqualTo(status);
        assertThat(problem.get("code").asString()).as(r.body()).isEqualTo(code);
        assertThat(problem.has("param")).as(r.body()).isTrue();
        assertThat(problem.get("detail").asString()).isNotBlank();
        assertThat(problem.get("error").get("message").asString())
                .isEqualTo(problem.get("detail").asString());
        assertThat(problem.get("error").get("code").asString()).isEqualTo(code);
        assertThat(problem.get("error").get("type").asString()).isEqualTo(OpenAiErrorType.of(status));
        // Spring Boot's default error body (its "error" is the reason phrase; ours is OpenAI's envelope)
        assertThat(problem.has("timestamp")
                        || problem.has("path")
                        || problem.has("error") && problem.get("error").isString())
                .as(r.body())
                .isFalse();
    }
}
