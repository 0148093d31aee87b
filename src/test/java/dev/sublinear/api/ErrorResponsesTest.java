package dev.sublinear.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sublinear.testing.RunningService;
import java.net.http.HttpRequest;
import java.nio.file.Path;
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
 * {@code {"timestamp", "path", …}} body.
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
        // Spring Boot's default error body (its "error" is the reason phrase; ours is OpenAI's envelope)
        assertThat(problem.has("timestamp")
                        || problem.has("path")
                        || problem.has("error") && problem.get("error").isString())
                .as(r.body())
                .isFalse();
    }
}
