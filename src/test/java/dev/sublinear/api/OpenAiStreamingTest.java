package dev.sublinear.api;

import static dev.sublinear.api.InferenceMeters.active;
import static dev.sublinear.api.InferenceMeters.awaitTrue;
import static dev.sublinear.api.InferenceMeters.calls;
import static dev.sublinear.api.InferenceMeters.steps;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sublinear.testing.RunningService;
import dev.sublinear.testing.ServiceClient;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Streams reach the client as tokens are generated, not at the end; a client that hangs up mid-stream
 * stops its generation and frees its slot; a stream past the tenant's limit is refused with 429.
 */
class OpenAiStreamingTest {

    /** 8 choices of 250 greedy tokens of lm-small: long enough to outlast the checks below. */
    private static final String LONG = "{\"model\": \"lm-small\", \"prompt\": \"the\", \"max_tokens\": 250, \"n\": 8,"
            + " \"temperature\": 0, \"stream\": true}";

    private static final int LONG_TOKENS = 250 * 8;

    @TempDir
    Path dir;

    @Test
    void chunksArriveAsTokensAreGeneratedAndADepartedClientFreesItsSlot() throws Exception {
        try (RunningService service = RunningService.start(
                dir.resolve("data"),
                null,
                "--sublinear.inference.max-concurrent=2",
                "--sublinear.inference.max-concurrent-per-tenant=1",
                "--sublinear.inference.timeout=300s")) {
            MeterRegistry meters = service.context().getBean(MeterRegistry.class);
            service.post("/v1/completions", "{\"model\": \"lm-small\", \"prompt\": \"a\", \"max_tokens\": 1}")
                    .expect(200);

            try (Stream stream = Stream.open(service, LONG)) {
                assertThat(stream.head()).startsWith("HTTP/1.1 200").containsIgnoringCase("text/event-stream");
                stream.awaitEvents(2); // the first text chunk
                double stepsAtFirst = steps(meters);
                assertThat(active(meters)).as("the generation runs on").isEqualTo(1);
                assertThat(stepsAtFirst)
                        .as("forward passes when the first chunk came")
                        .isLessThan(LONG_TOKENS / 2.0);
                stream.awaitEvents(20);
                assertThat(steps(meters))
                        .as("later chunks come as generation goes on")
                        .isGreaterThan(stepsAtFirst);

                // the tenant's one slot is taken: a second stream is refused at once, as problem+json
                ServiceClient.Response refused = service.post("/v1/completions", LONG);
                assertThat(refused.status()).isEqualTo(429);
                assertThat(refused.contentType()).startsWith("application/problem+json");

                double cancelledBefore = calls(meters, "cancelled");
                stream.close();
                awaitTrue(() -> active(meters) == 0, Duration.ofSeconds(5), "the generation stopped");
                assertThat(calls(meters, "cancelled") - cancelledBefore).isEqualTo(1);
                assertThat(steps(meters)).as("stopped well before its end").isLessThan(stepsAtFirst + LONG_TOKENS);
            }

            // the slot is free again: the next stream is admitted and runs to [DONE]
            HttpResponse<String> next = service.http()
                    .send(
                            HttpRequest.newBuilder(URI.create(service.baseUrl() + "/v1/completions"))
                                    .header("Authorization", "Bearer " + ServiceClient.ADMIN_KEY)
                                    .header("Content-Type", "application/json")
                                    .POST(HttpRequest.BodyPublishers.ofString("{\"model\": \"lm-small\", \"prompt\":"
                                            + " \"the\", \"max_tokens\": 3, \"stream\": true}"))
                                    .build(),
                            HttpResponse.BodyHandlers.ofString());
            assertThat(next.statusCode()).as(next.body()).isEqualTo(200);
            assertThat(next.body()).endsWith("data: [DONE]\n\n");
        }
    }

    /** A streamed request on its own connection, read as it arrives; closing it is a client hanging up. */
    private static final class Stream implements AutoCloseable {

        private final Socket socket;
        private final InputStream in;
        private final StringBuilder received = new StringBuilder();

        private Stream(Socket socket) throws IOException {
            this.socket = socket;
            this.in = socket.getInputStream();
        }

        static Stream open(ServiceClient service, String json) throws IOException {
            Socket socket = InferenceLimitsTest.Raw.send(service, ServiceClient.ADMIN_KEY, "/v1/completions", json);
            socket.setSoTimeout(60_000);
            return new Stream(socket);
        }

        /** The status line and headers, once they have come. */
        String head() throws IOException {
            while (received.indexOf("\r\n\r\n") < 0) {
                read();
            }
            return received.substring(0, received.indexOf("\r\n\r\n"));
        }

        /** Reads until {@code count} events have come in all. */
        void awaitEvents(int count) throws IOException {
            while (events() < count) {
                read();
            }
        }

        private int events() {
            int n = 0;
            for (int at = received.indexOf("data: "); at >= 0; at = received.indexOf("data: ", at + 1)) {
                n++;
            }
            return n;
        }

        private void read() throws IOException {
            byte[] buffer = new byte[8192];
            int n = in.read(buffer);
            if (n < 0) {
                throw new IOException("the stream ended early: " + received);
            }
            received.append(new String(buffer, 0, n, StandardCharsets.UTF_8));
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
