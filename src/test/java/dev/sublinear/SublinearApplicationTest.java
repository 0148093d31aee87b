package dev.sublinear;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.sublinear.config.DjlEngine;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;

/** The real application on a random port, spoken to over HTTP. */
@SpringBootTest(
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {
            "sublinear.data-dir=target/test-data/application-test",
            "sublinear.admin.key=" + SublinearApplicationTest.KEY
        })
class SublinearApplicationTest {

    static final String KEY = "sl-application-test-key-4242";

    private final HttpClient http = HttpClient.newHttpClient();

    @LocalServerPort
    private int port;

    @Autowired
    private DjlEngine engine;

    @Test
    void healthAndProbesAreUp() throws Exception {
        for (String path :
                new String[] {"/actuator/health", "/actuator/health/liveness", "/actuator/health/readiness"}) {
            HttpResponse<String> response = get(path);
            assertEquals(200, response.statusCode(), path);
            assertTrue(response.body().contains("\"status\":\"UP\""), path + ": " + response.body());
        }
    }

    @Test
    void servesItsOpenApiDescription() throws Exception {
        assertEquals(401, get("/v3/api-docs").statusCode(), "the contract is for callers with a key");
        HttpResponse<String> response = http.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v3/api-docs"))
                        .header("Authorization", "Bearer " + KEY)
                        .build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, response.statusCode());
        assertTrue(response.body().contains("\"openapi\""), response.body());
    }

    @Test
    void startedThePyTorchEngineOffline() {
        assertEquals("PyTorch", engine.engine().getEngineName());
        assertEquals("true", System.getProperty("ai.djl.offline"));
    }

    private HttpResponse<String> get(String path) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }
}
