package dev.sublinear.api;

import static dev.sublinear.api.InferenceMeters.active;
import static dev.sublinear.api.InferenceMeters.awaitTrue;
import static dev.sublinear.api.InferenceMeters.calls;
import static dev.sublinear.api.InferenceMeters.steps;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sublinear.testing.RunningService;
import dev.sublinear.testing.ServiceClient;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * A scale model of "one tenant stalls everyone through completions": with 4 request threads
 * instead of 200 and room for 3 generations (2 per tenant), a tenant firing 8 long completions gets
 * 429 with Retry-After for 6 of them at once, while health, another tenant's reads and its own
 * completion answer promptly; when the clients hang up, the generations stop within a second or two
 * instead of running on.
 */
class InferenceLimitsTest {

    /** Long enough to outlast the test: greedy lm-small runs about 600 tokens on it before its end token. */
    private static final String LONG = "{\"prompt\": \"%s\", \"max_tokens\": 1024, \"temperature\": 0}"
            .formatted("the quick brown fox ".repeat(500));

    @TempDir
    Path dir;

    @Test
    void aTenantPastItsGenerationsGets429WhileOthersAreServedAndGenerationStopsWhenClientsLeave() throws Exception {
        try (RunningService service = RunningService.start(
                dir.resolve("data"),
                null,
                "--sublinear.roles=api",
                "--server.tomcat.threads.max=4",
                "--sublinear.inference.max-concurrent=3",
                "--sublinear.inference.max-concurrent-per-tenant=2",
                "--sublinear.inference.timeout=300s")) {
            MeterRegistry meters = service.context().getBean(MeterRegistry.class);
            service.post("/v1/admin/tenants", "{\"id\": \"bob\"}").expect(201);
            String bobKey = service.post("/v1/admin/tenants/bob/keys", "{\"name\": \"k\"}")
                    .expect(201)
                    .json()
                    .get("secret")
                    .asString();
            ServiceClient bob = service.as(bobKey);
            // load both models first: the first forward passes are slow and would blur the timings
            service.post("/v1/models/lm-small/completions", "{\"prompt\": \"a\", \"max_tokens\": 1}")
                    .expect(200);
            bob.post("/v1/models/lm-tiny/completions", "{\"prompt\": \"a\", \"max_tokens\": 1}")
                    .expect(200);

            // the default tenant fires 8 long completions at once: 2 run, 6 are refused at once
            List<Raw> flood = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                flood.add(Raw.post(service, ServiceClient.ADMIN_KEY, "/v1/models/lm-small/completions", LONG));
            }
            awaitTrue(
                    () -> flood.stream().filter(r -> r.response.isDone()).count() == 6,
                    Duration.ofSeconds(20),
                    "6 of 8 answered");
            for (Raw r : flood) {
                if (r.response.isDone()) {
                    RawResponse refused = r.response.get();
                    assertThat(refused.status()).as(refused.body()).isEqualTo(429);
                    assertThat(refused.header("content-type")).startsWith("application/problem+json");
                    assertThat(ServiceClient.JSON
                                    .readTree(refused.body())
                                    .get("code")
                                    .asString())
                            .isEqualTo("too_many_generations");
                    assertThat(Long.parseLong(refused.header("retry-after"))).isPositive();
                }
            }
            assertThat(active(meters)).isEqualTo(2);

            // meanwhile health, another tenant's reads and its completion answer promptly
            long start = System.nanoTime();
            HttpResponse<String> health = service.http()
                    .send(
                            HttpRequest.newBuilder(URI.create(service.baseUrl() + "/actuator/health"))
                                    .timeout(Duration.ofSeconds(10))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(health.statusCode()).isEqualTo(200);
            assertThat(seconds(start)).as("health answered in (s)").isLessThan(5);
            start = System.nanoTime();
            bob.get("/v1/models").expect(200);
            JsonNode completion = bob.post(
                            "/v1/models/lm-tiny/completions",
                            "{\"prompt\": \"abc\", \"max_tokens\": 4, \"temperature\": 0}")
                    .expect(200)
                    .json();
            assertThat(completion.get("choices").get(0).get("text").asString()).isNotNull();
            assertThat(seconds(start)).as("the other tenant answered in (s)").isLessThan(10);

            // the service's limit: bob's first long completion takes the third slot, his second is refused
            Raw third = Raw.post(service, bobKey, "/v1/models/lm-tiny/completions", LONG);
            awaitTrue(() -> active(meters) == 3, Duration.ofSeconds(10), "3 generations running");
            RawResponse full = Raw.post(service, bobKey, "/v1/models/lm-tiny/completions", LONG)
                    .response
                    .get();
            assertThat(full.status()).as(full.body()).isEqualTo(429);
            assertThat(full.header("retry-after")).isNotNull();
            assertThat(third.response).isNotDone();

            // every client hangs up: the generations stop before their next token
            double cancelledBefore = calls(meters, "cancelled");
            flood.forEach(Raw::close);
            third.close();
            awaitTrue(() -> active(meters) == 0, Duration.ofSeconds(5), "no generation running");
            assertThat(calls(meters, "cancelled") - cancelledBefore).isEqualTo(3);
            double steps = steps(meters);
            Thread.sleep(1500);
            assertThat(steps(meters))
                    .as("forward passes after the clients left")
                    .isEqualTo(steps);

            // and the slots are free again
            service.post("/v1/models/lm-small/completions", "{\"prompt\": \"a\", \"max_tokens\": 2}")
                    .expect(200);
        }
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    record RawResponse(int status, List<String> headers, String body) {

        String header(String name) {
            return headers.stream()
                    .filter(h -> h.toLowerCase(Locale.ROOT).startsWith(name + ":"))
                    .map(h -> h.substring(name.length() + 1).trim())
                    .findFirst()
                    .orElse(null);
        }
    }

    /** A request on its own connection, which the test can close as a client that goes away would. */
    static final class Raw implements AutoCloseable {

        final Socket socket;
        final CompletableFuture<RawResponse> response;

        private Raw(Socket socket, CompletableFuture<RawResponse> response) {
            this.socket = socket;
            this.response = response;
        }

        static Raw post(ServiceClient service, String key, String path, String json) throws IOException {
            Socket socket = send(service, key, path, json);
            CompletableFuture<RawResponse> response = CompletableFuture.supplyAsync(
                    () -> {
                        try (InputStream in = socket.getInputStream()) {
                            ByteArrayOutputStream all = new ByteArrayOutputStream();
                            in.transferTo(all);
                            String text = all.toString(StandardCharsets.UTF_8);
                            int end = text.indexOf("\r\n\r\n");
                            List<String> lines = List.of(text.substring(0, end).split("\r\n"));
                            RawResponse r = new RawResponse(
                                    Integer.parseInt(lines.get(0).split(" ")[1]),
                                    lines.subList(1, lines.size()),
                                    text.substring(end + 4));
                            return "chunked".equalsIgnoreCase(r.header("transfer-encoding"))
                                    ? new RawResponse(r.status(), r.headers(), dechunk(r.body()))
                                    : r;
                        } catch (IOException | RuntimeException e) {
                            throw new IllegalStateException("no response: " + e, e);
                        }
                    },
                    runnable -> {
                        Thread t = new Thread(runnable, "raw-client");
                        t.setDaemon(true);
                        t.start();
                    });
            return new Raw(socket, response);
        }

        /** Sends a JSON POST on a connection of its own, left open for the answer. */
        static Socket send(ServiceClient service, String key, String path, String json) throws IOException {
            URI base = URI.create(service.baseUrl());
            Socket socket = new Socket();
            socket.connect(new InetSocketAddress(base.getHost(), base.getPort()), 5000);
            byte[] body = json.getBytes(StandardCharsets.UTF_8);
            String head =
                    "POST " + path + " HTTP/1.1\r\nHost: " + base.getAuthority() + "\r\nAuthorization: Bearer " + key
                            + "\r\nContent-Type: application/json\r\nContent-Length: " + body.length
                            + "\r\nConnection: close\r\n\r\n";
            socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().write(body);
            socket.getOutputStream().flush();
            return socket;
        }

        private static String dechunk(String chunked) {
            StringBuilder body = new StringBuilder();
            int at = 0;
            while (true) {
                int lineEnd = chunked.indexOf("\r\n", at);
                int size = Integer.parseInt(chunked.substring(at, lineEnd).trim(), 16);
                if (size == 0) {
                    return body.toString();
                }
                body.append(chunked, lineEnd + 2, lineEnd + 2 + size); // the bodies here are ASCII JSON
                at = lineEnd + 2 + size + 2;
            }
        }

        @Override
        public void close() {
            try {
                socket.close();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
