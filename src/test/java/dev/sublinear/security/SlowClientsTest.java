package dev.sublinear.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sublinear.testing.RunningService;
import dev.sublinear.testing.ServiceClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Scale models of the review's slow-body attack: clients that send a request's headers and then its
 * body a byte at a time. With 8 request threads instead of 200 and 40 clients instead of 250, the
 * service must keep answering health and other callers throughout.
 */
class SlowClientsTest {

    private static final String BOUNDARY = "b0undary";

    @TempDir
    Path dir;

    @Test
    void slowBodiesWithoutAKeyNeverHoldTheService() throws Exception {
        try (RunningService service = RunningService.start(
                dir.resolve("data"),
                null,
                "--server.tomcat.threads.max=8",
                "--sublinear.http.max-requests-per-client=0",
                "--sublinear.roles=api")) {
            List<Socket> attackers = new ArrayList<>();
            try {
                for (int i = 0; i < 40; i++) {
                    attackers.add(startUpload(service, null, 1_000));
                }
                HttpClient probe = HttpClient.newBuilder()
                        .connectTimeout(Duration.ofSeconds(3))
                        .build();
                long end = System.nanoTime() + Duration.ofSeconds(12).toNanos();
                int probes = 0;
                while (System.nanoTime() < end) {
                    for (Socket s : attackers) {
                        trickle(s);
                    }
                    assertThat(status(probe, service.baseUrl() + "/actuator/health", null))
                            .isEqualTo(200);
                    assertThat(status(probe, service.baseUrl() + "/v1/files", ServiceClient.ADMIN_KEY))
                            .isEqualTo(200);
                    probes++;
                    Thread.sleep(500);
                }
                assertThat(probes).isGreaterThan(5);
            } finally {
                for (Socket s : attackers) {
                    s.close();
                }
            }
        }
    }

    @Test
    void aSlowBodyWithAKeyIsCutOffAndOneClientCannotHoldEveryThread() throws Exception {
        try (RunningService service = RunningService.start(
                dir.resolve("data"),
                null,
                "--sublinear.roles=api",
                "--sublinear.http.body-grace=2s",
                "--sublinear.http.body-min-rate=1KB",
                "--sublinear.http.max-requests-per-client=4")) {
            HttpClient probe = HttpClient.newBuilder()
                    .connectTimeout(Duration.ofSeconds(3))
                    .build();
            List<Socket> slow = new ArrayList<>();
            try {
                for (int i = 0; i < 4; i++) {
                    slow.add(startUpload(service, ServiceClient.ADMIN_KEY, 1_000_000));
                }
                Thread.sleep(300);
                // four requests in progress from this address: a fifth is refused at once
                HttpResponse<String> busy = probe.send(
                        HttpRequest.newBuilder(URI.create(service.baseUrl() + "/v1/files"))
                                .header("Authorization", "Bearer " + ServiceClient.ADMIN_KEY)
                                .timeout(Duration.ofSeconds(3))
                                .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(busy.statusCode()).isEqualTo(429);
                assertThat(busy.headers().firstValue("Retry-After")).isPresent();
                assertThat(busy.body()).contains("\"code\":\"too_many_requests\"");
                JsonNode envelope = ServiceClient.JSON.readTree(busy.body()).get("error");
                assertThat(envelope.get("type").asString()).isEqualTo("rate_limit_error");
                assertThat(envelope.get("code").asString()).isEqualTo("too_many_requests");
                assertThat(envelope.get("message").asString()).startsWith("this client has too many requests");

                // past the grace, each slow body is cut off with 408 and its connection closed
                long started = System.nanoTime();
                for (Socket s : slow) {
                    s.setSoTimeout(15_000);
                    String answer = null;
                    while (answer == null) {
                        trickle(s);
                        answer = readAnswer(s, 1000);
                    }
                    assertThat(answer)
                            .startsWith("HTTP/1.1 408")
                            .contains("application/problem+json")
                            .contains("\"code\":\"request_timeout\"");
                }
                assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(15));
            } finally {
                for (Socket s : slow) {
                    s.close();
                }
            }
            assertThat(status(probe, service.baseUrl() + "/v1/files", ServiceClient.ADMIN_KEY))
                    .isEqualTo(200);
        }
    }

    /** Sends a multipart upload's headers and the start of its body, announcing {@code length} bytes. */
    private static Socket startUpload(RunningService service, String key, int length) throws IOException {
        URI uri = URI.create(service.baseUrl());
        Socket socket = new Socket(uri.getHost(), uri.getPort());
        String head = "POST /v1/files HTTP/1.1\r\nHost: localhost\r\n"
                + (key == null ? "" : "Authorization: Bearer " + key + "\r\n")
                + "Content-Type: multipart/form-data; boundary=" + BOUNDARY + "\r\nContent-Length: " + length
                + "\r\n\r\n--" + BOUNDARY
                + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"t.jsonl\"\r\n\r\n";
        socket.getOutputStream().write(head.getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        return socket;
    }

    /** One more byte of body, if the service still listens. */
    private static void trickle(Socket socket) {
        try {
            OutputStream out = socket.getOutputStream();
            out.write('x');
            out.flush();
        } catch (IOException e) {
            // the service closed this connection: that is what it should do
        }
    }

    /** The answer on a connection, or null if none came within {@code millis}. */
    private static String readAnswer(Socket socket, int millis) throws IOException {
        socket.setSoTimeout(millis);
        InputStream in = socket.getInputStream();
        try {
            byte[] buffer = new byte[8192];
            int n = in.read(buffer);
            return n < 0 ? "closed without an answer" : new String(buffer, 0, n, StandardCharsets.UTF_8);
        } catch (SocketTimeoutException e) {
            return null;
        }
    }

    private static int status(HttpClient client, String url, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(3));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.discarding()).statusCode();
    }
}
