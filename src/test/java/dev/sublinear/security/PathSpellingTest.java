package dev.sublinear.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.sublinear.testing.RunningService;
import dev.sublinear.testing.ServiceClient;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.security.core.AuthenticationException;
import org.springframework.security.core.context.SecurityContextHolder;

/**
 * Authentication does not depend on how a path is spelled: the review's admin bypasses
 * ({@code /v1;x/admin/…}, {@code /%76%31/admin/…}, …) are refused before any handler runs, tenant
 * routes with path parameters answer 400 (not 500), and the admin handlers check their caller
 * themselves. Also the public surface: only the dashboard's files and health answer without a key,
 * the metrics and the contract need one, and the dashboard carries security headers.
 */
class PathSpellingTest {

    @TempDir
    static Path dir;

    static RunningService service;
    static ServiceClient anonymous;
    static String tenantKey;

    @BeforeAll
    static void start() {
        service = RunningService.start(dir.resolve("data"), null);
        anonymous = service.as(null);
        service.post("/v1/admin/tenants", "{\"id\": \"bob\"}").expect(201);
        tenantKey = service.post("/v1/admin/tenants/bob/keys", "{\"name\": \"bob\"}")
                .expect(201)
                .json()
                .get("secret")
                .asString();
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    private static ServiceClient.Response send(ServiceClient as, String method, String rawPath, String json) {
        HttpRequest.Builder b =
                as.request("").uri(URI.create(service.baseUrl() + rawPath)).header("Content-Type", "application/json");
        b = json == null
                ? b.method(method, HttpRequest.BodyPublishers.noBody())
                : b.method(method, HttpRequest.BodyPublishers.ofString(json));
        return as.send(b.build());
    }

    @Test
    void adminRoutesSpelledOtherwiseNeverAnswerWithoutAnAdminKey() {
        String key = "{\"name\": \"p\", \"admin\": true}";
        List<String[]> attempts = List.of(
                new String[] {"POST", "/v1;x/admin/tenants/default/keys", key},
                new String[] {"POST", "/v1/admin;x/tenants/default/keys", key},
                new String[] {"POST", "/%76%31/admin/tenants/default/keys", key},
                new String[] {"POST", "/v%31/admin/tenants/default/keys", key},
                new String[] {"POST", "/v1/%61dmin/tenants/default/keys", key},
                new String[] {"POST", "/v1/admin/tenants/default/keys;", key},
                new String[] {"POST", "/v1//admin/tenants/default/keys", key},
                new String[] {"POST", "/v1/./admin/tenants/default/keys", key},
                new String[] {"POST", "/v1/x/../admin/tenants/default/keys", key},
                new String[] {"POST", "/V1/admin/tenants/default/keys", key},
                new String[] {"PUT", "/v1;/admin/tenants/default/limits", "{\"max_running_jobs\": 1000}"},
                new String[] {"GET", "/%76%31/admin/tenants", null},
                new String[] {"GET", "/v1/admin/tenants/", null});
        for (ServiceClient caller : List.of(anonymous, service.as(tenantKey))) {
            for (String[] a : attempts) {
                ServiceClient.Response r;
                try {
                    r = send(caller, a[0], a[1], a[2]);
                } catch (RuntimeException e) {
                    throw new AssertionError(
                            a[0] + " " + a[1] + " as " + (caller == anonymous ? "nobody" : "tenant"), e);
                }
                assertThat(r.status())
                        .as("%s %s as %s: %s", a[0], a[1], caller == anonymous ? "nobody" : "a tenant", r.body())
                        .isIn(400, 401, 403, 404);
                assertThat(r.contentType()).as(a[1]).startsWith("application/problem+json");
                assertThat(r.body()).doesNotContain("secret");
            }
        }
        // the only admin keys are the ones made on purpose
        assertThat(service.get("/v1/admin/tenants/default/keys")
                        .expect(200)
                        .json()
                        .get("data")
                        .valueStream()
                        .filter(k -> k.get("admin").asBoolean())
                        .count())
                .isEqualTo(1);
        assertThat(service.get("/v1/admin/tenants/default")
                        .expect(200)
                        .json()
                        .get("limits")
                        .get("max_running_jobs")
                        .asInt())
                .isNotEqualTo(1000);
    }

    @Test
    void tenantRoutesWithPathParametersAreRefusedNotFailed() {
        ServiceClient bob = service.as(tenantKey);
        for (String path : List.of(
                "/v1;x/files",
                "/v1/files;x",
                "/v1/fine_tuning;x/jobs",
                "/v1/models;jsessionid=1",
                "/v1/files/%2e%2e/x",
                "/v1/files/a%2fb",
                "/v1/files/a%5cb",
                "/v1/files/%25")) {
            ServiceClient.Response r = send(bob, "GET", path, null);
            assertThat(r.status()).as(path + ": " + r.body()).isBetween(400, 499);
            assertThat(r.contentType()).as(path).startsWith("application/problem+json");
        }
        // a model id with an encoded ':' (as HTTP clients send it) still works
        send(bob, "GET", "/v1/models/lm%2Dtiny", null).expect(400);
        assertThat(send(bob, "GET", "/v1/models/ft%3Alm-tiny%3A%3Aftjob-none", null)
                        .status())
                .isEqualTo(404);
    }

    @Test
    void adminHandlersRefuseACallerWithoutAnAdminPrincipal() throws Exception {
        Object admin = service.context().getBean("adminController");
        SecurityContextHolder.clearContext();
        var listTenants = admin.getClass().getSuperclass().getDeclaredMethod("listTenants");
        listTenants.setAccessible(true);
        assertThatThrownBy(() -> listTenants.invoke(admin)).hasRootCauseInstanceOf(AuthenticationException.class);
    }

    @Test
    void onlyTheDashboardAndHealthAnswerWithoutAKey() {
        for (String path : List.of(
                "/",
                "/app.js",
                "/app.css",
                "/charts.js",
                "/playground.js",
                "/memory.js",
                "/memory.css",
                "/actuator/health",
                "/actuator/health/liveness",
                "/actuator/health/readiness")) {
            anonymous.get(path).expect(200);
        }
        for (String path : List.of(
                "/actuator/prometheus",
                "/v3/api-docs",
                "/v3/api-docs.yaml",
                "/swagger-ui.html",
                "/swagger-ui/index.html",
                "/v1/workers",
                "/v1/files",
                "/actuator/env",
                "/anything")) {
            ServiceClient.Response r = anonymous.get(path);
            assertThat(r.status()).as(path).isEqualTo(401);
            assertThat(r.contentType()).as(path).startsWith("application/problem+json");
        }
        ServiceClient bob = service.as(tenantKey);
        assertThat(bob.get("/actuator/prometheus").status())
                .as("global counts are for admins")
                .isEqualTo(403);
        bob.get("/v3/api-docs").expect(200);
        assertThat(service.get("/actuator/prometheus").expect(200).body()).contains("sublinear_queue_depth");
        assertThat(service.get("/swagger-ui/index.html").status())
                .as("no UI is served")
                .isEqualTo(404);
    }

    @Test
    void theDashboardCarriesSecurityHeaders() throws Exception {
        var response =
                service.http().send(anonymous.request("/").GET().build(), HttpResponse.BodyHandlers.discarding());
        assertThat(response.statusCode()).isEqualTo(200);
        var headers = response.headers();
        assertThat(headers.firstValue("Content-Security-Policy"))
                .hasValueSatisfying(csp -> assertThat(csp)
                        .contains("default-src 'self'", "frame-ancestors 'none'", "script-src 'self'")
                        .doesNotContain("unsafe-inline", "unsafe-eval"));
        assertThat(headers.firstValue("X-Frame-Options")).contains("DENY");
        assertThat(headers.firstValue("X-Content-Type-Options")).contains("nosniff");
        assertThat(headers.firstValue("Referrer-Policy")).contains("no-referrer");
    }
}
