package dev.sublinear.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sublinear.testing.RunningService;
import dev.sublinear.training.SyntheticData;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.SequenceInputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * A request body other than an upload is capped (64 KiB by default) while it is read, whether its
 * length is declared or it comes chunked, and an error repeats at most a short piece of any value it
 * refuses: a scale model of twelve 90 MB metadata values answered with a 2.26 GB error body.
 */
class RequestBodyLimitTest {

    private static final String JOBS = "/v1/fine_tuning/jobs";
    /** Any answer of these tests is well under this; the refused values are thousands of times larger. */
    private static final int SMALL = 2_000;

    @TempDir
    static Path dir;

    static RunningService service;
    static String file;

    @BeforeAll
    static void start() throws Exception {
        service = RunningService.start(dir.resolve("data"), null);
        file = service.uploadFile(SyntheticData.reversal(dir.resolve("lm.jsonl"), 16, 1), "fine-tune");
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    @Test
    @Timeout(60)
    void aFiveMegabyteMetadataValueIsRefusedBeforeItIsSent() throws Exception {
        String head = "{\"model\": \"lm-tiny\", \"training_file\": \"" + file + "\", \"metadata\": {\"k\": \"";
        long length = head.length() + 5_000_000L + 3;
        try (Socket socket = post("application/json", "Content-Length: " + length)) {
            OutputStream out = socket.getOutputStream();
            out.write(head.getBytes(StandardCharsets.UTF_8));
            out.flush();
            // the rest of the 5 MB is never sent: the answer must come without it
            long started = System.nanoTime();
            String answer = readResponse(socket.getInputStream());
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(Duration.ofSeconds(5));
            assertThat(answer).startsWith("HTTP/1.1 413");
            assertThat(answer.toLowerCase(Locale.ROOT)).contains("content-type: application/problem+json");
            String body = answer.substring(answer.indexOf("\r\n\r\n") + 4);
            assertThat(body.length()).isLessThan(SMALL);
            JsonNode problem = RunningService.JSON.readTree(body);
            assertThat(problem.get("code").asString()).isEqualTo("body_too_large");
            assertThat(problem.get("detail").asString()).contains("65536");
        }
        service.get("/actuator/health/readiness").expect(200);
    }

    @Test
    @Timeout(60)
    void aFiveMegabyteMetadataValueSentWholeGetsASmallAnswer() {
        String json = "{\"model\": \"lm-tiny\", \"training_file\": \"" + file + "\", \"metadata\": {\"k\": \""
                + "v".repeat(5_000_000) + "\"}}";
        RunningService.Response r;
        try {
            r = service.send(service.request(JOBS)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(json))
                    .build());
        } catch (IllegalStateException closedWhileSending) {
            // the service may answer and close before the client has sent all 5 MB: refused all the same
            assertThat(closedWhileSending).hasRootCauseInstanceOf(IOException.class);
            return;
        }
        BadInputTest.assertProblem(r, 413, null, "body_too_large");
        assertThat(r.body().length()).isLessThan(SMALL);
    }

    @Test
    @Timeout(60)
    void anEndlessChunkedBodyIsRefusedAndNotReadOn() throws Exception {
        // no Content-Length: the body streams on for as long as the service reads it
        try (Socket socket = post("application/json", "Transfer-Encoding: chunked")) {
            OutputStream out = socket.getOutputStream();
            AtomicLong sent = new AtomicLong();
            Thread sender = new Thread(() -> {
                byte[] head = ("{\"model\": \"lm-tiny\", \"training_file\": \"" + file + "\", \"metadata\": {\"k\": \"")
                        .getBytes(StandardCharsets.UTF_8);
                byte[] chunk = new byte[8192];
                Arrays.fill(chunk, (byte) 'v');
                try {
                    writeChunk(out, head);
                    while (sent.addAndGet(chunk.length) < 1L << 30) {
                        writeChunk(out, chunk);
                    }
                } catch (IOException closedByTheService) {
                    // what should happen
                }
            });
            sender.start();
            String answer = readResponse(socket.getInputStream());
            assertThat(answer).startsWith("HTTP/1.1 413");
            String body = answer.substring(answer.indexOf("\r\n\r\n") + 4);
            assertThat(body.length()).isLessThan(SMALL);
            assertThat(RunningService.JSON.readTree(body).get("code").asString())
                    .isEqualTo("body_too_large");
            sender.join(30_000);
            assertThat(sender.isAlive())
                    .as("the service stopped taking the body")
                    .isFalse();
            // the cap, what the container drains before it closes (2 MB) and what socket buffers hold
            assertThat(sent.get()).isLessThan(32L << 20);
        }
        service.get("/actuator/health/readiness").expect(200);
    }

    /** A connection on which the head of a job creation has been sent, with its body still to come. */
    private static Socket post(String contentType, String lengthHeader) throws IOException {
        URI uri = URI.create(service.baseUrl());
        Socket socket = new Socket(uri.getHost(), uri.getPort());
        socket.setSoTimeout(10_000);
        socket.getOutputStream()
                .write(("POST " + JOBS + " HTTP/1.1\r\nHost: " + uri.getAuthority()
                                + "\r\nAuthorization: Bearer " + RunningService.ADMIN_KEY + "\r\nContent-Type: "
                                + contentType
                                + "\r\n" + lengthHeader + "\r\n\r\n")
                        .getBytes(StandardCharsets.UTF_8));
        return socket;
    }

    private static void writeChunk(OutputStream out, byte[] chunk) throws IOException {
        out.write((Integer.toHexString(chunk.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
        out.write(chunk);
        out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
    }

    @Test
    @Timeout(60)
    void aChunkedBodyJustOverTheCapIsRefused() {
        byte[] json = ("{\"model\": \"lm-tiny\", \"training_file\": \"" + file + "\", \"metadata\": {\"k\": \""
                        + "v".repeat(70_000) + "\"}}")
                .getBytes(StandardCharsets.UTF_8);
        RunningService.Response r = service.send(service.request(JOBS)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(json)))
                .build());
        BadInputTest.assertProblem(r, 413, null, "body_too_large");
        assertThat(r.body().length()).isLessThan(SMALL);
    }

    @Test
    void aRefusedValueIsEchoedCutShort() {
        String longValue = "v".repeat(20_000);
        RunningService.Response metadata = service.post(
                JOBS,
                "{\"model\": \"lm-tiny\", \"training_file\": \"" + file + "\", \"metadata\": {\"k\": \"" + longValue
                        + "\"}}");
        BadInputTest.assertProblem(metadata, 400, "metadata[k]", "invalid_request");
        assertThat(metadata.json().get("detail").asString())
                .contains("v".repeat(64) + "\u2026 (20000 characters)")
                .doesNotContain("v".repeat(65));
        assertThat(metadata.body().length()).isLessThan(SMALL);

        String longName = "n".repeat(20_000);
        RunningService.Response unknownField = service.post(
                JOBS, "{\"model\": \"lm-tiny\", \"training_file\": \"" + file + "\", \"" + longName + "\": 1}");
        BadInputTest.assertProblem(unknownField, 400, "n".repeat(64) + "\u2026 (20000 characters)", "unknown_field");
        assertThat(unknownField.body().length()).isLessThan(SMALL);

        String tooManyEntries = IntStream.range(0, 17)
                .mapToObj(i -> "\"k" + i + "\": \"" + "m".repeat(500) + "\"")
                .collect(Collectors.joining(", "));
        RunningService.Response map = service.post(
                JOBS,
                "{\"model\": \"lm-tiny\", \"training_file\": \"" + file + "\", \"metadata\": {" + tooManyEntries
                        + "}}");
        BadInputTest.assertProblem(map, 400, "metadata", "invalid_request");
        assertThat(map.body().length()).isLessThan(SMALL);

        String x = "x".repeat(5_000);
        for (String path : new String[] {
            JOBS + "?limit=" + x,
            JOBS + "?status=" + x,
            "/v1/files/" + x,
            "/v1/fine_tuning/jobs/" + x,
            "/v1/models/" + x
        }) {
            RunningService.Response r = service.get(path);
            assertThat(r.status()).as(path).isIn(400, 404);
            // (the problem's instance is the request's path, as long as the container lets a request line be)
            assertThat(r.json().get("detail").asString())
                    .as(path)
                    .doesNotContain("x".repeat(65))
                    .hasSizeLessThan(SMALL);
        }

        RunningService.Response purpose =
                service.upload("x.jsonl", "{\"text\": \"a\"}\n".getBytes(StandardCharsets.UTF_8), "p".repeat(20_000));
        BadInputTest.assertProblem(purpose, 400, "purpose", "invalid_request");
        assertThat(purpose.body()).doesNotContain("p".repeat(65));
    }

    @Test
    void theLargestValidBodiesStillFit() {
        // every character a six-byte escape of a three-byte character: the most bytes a valid body can take
        String key = "\\u65e5".repeat(64);
        String value = "\\u65e5".repeat(512);
        String metadata = IntStream.range(0, 16)
                .mapToObj(i -> "\"" + key.substring(0, key.length() - 12)
                        + String.format("\\u%04x\\u%04x", 0x4e00 + i / 8, 0x4e00 + i % 8) + "\": \"" + value + "\"")
                .collect(Collectors.joining(", "));
        String job =
                "{\"model\": \"lm-tiny\", \"training_file\": \"" + file + "\", \"hyperparameters\": {\"n_epochs\": 1,"
                        + " \"max_steps\": 1}, \"metadata\": {" + metadata + "}}";
        assertThat(job.length()).isGreaterThan(55_000).isLessThan(65_536);
        JsonNode created = service.post(JOBS, job).expect(201).json();
        assertThat(created.get("metadata").size()).isEqualTo(16);
        service.post(JOBS + "/" + created.get("id").asString() + "/cancel", "");

        String prompt = "\\u00e9".repeat(10_000);
        service.post("/v1/models/lm-tiny/completions", "{\"prompt\": \"" + prompt + "\", \"max_tokens\": 1}")
                .expect(200);
    }

    @Test
    @Timeout(60)
    void aMultipartBodyToAJsonEndpointIsRefusedUnread() throws Exception {
        // the container would parse (and spool to disk) a multipart body for any endpoint, past the cap's reach
        try (Socket socket = post("multipart/form-data; boundary=b", "Transfer-Encoding: chunked")) {
            OutputStream out = socket.getOutputStream();
            writeChunk(
                    out,
                    "--b\r\nContent-Disposition: form-data; name=\"x\"; filename=\"x\"\r\n\r\n"
                            .getBytes(StandardCharsets.UTF_8));
            out.flush();
            // the rest never comes: the answer must come without it
            String answer = readResponse(socket.getInputStream());
            assertThat(answer).startsWith("HTTP/1.1 415");
            assertThat(RunningService.JSON
                            .readTree(answer.substring(answer.indexOf("\r\n\r\n") + 4))
                            .get("code")
                            .asString())
                    .isEqualTo("unsupported_media_type");
        }
    }

    /** Reads one HTTP/1.1 response, its body decoded when chunked. */
    private static String readResponse(InputStream in) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        int headerEnd = -1;
        while (headerEnd < 0) {
            int n = in.read(buffer);
            assertThat(n).as("the response's head arrived whole").isPositive();
            bytes.write(buffer, 0, n);
            headerEnd = bytes.toString(StandardCharsets.ISO_8859_1).indexOf("\r\n\r\n");
        }
        String head = bytes.toString(StandardCharsets.ISO_8859_1).substring(0, headerEnd + 4);
        byte[] rest = Arrays.copyOfRange(bytes.toByteArray(), headerEnd + 4, bytes.size());
        InputStream body = new SequenceInputStream(new ByteArrayInputStream(rest), in);
        String lower = head.toLowerCase(Locale.ROOT);
        ByteArrayOutputStream content = new ByteArrayOutputStream();
        if (lower.contains("transfer-encoding: chunked")) {
            while (true) {
                int size = Integer.parseInt(line(body).trim(), 16);
                if (size == 0) {
                    break;
                }
                content.write(body.readNBytes(size));
                line(body);
            }
        } else {
            int at = lower.indexOf("content-length:");
            assertThat(at).as(head).isNotNegative();
            int length = Integer.parseInt(
                    lower.substring(at + 15, lower.indexOf("\r\n", at)).trim());
            content.write(body.readNBytes(length));
            assertThat(content.size()).as("the body arrived whole").isEqualTo(length);
        }
        return head + content.toString(StandardCharsets.UTF_8);
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        for (int c = in.read(); c != '\n'; c = in.read()) {
            assertThat(c).as("the chunked body ended properly").isNotNegative();
            line.append((char) c);
        }
        return line.toString();
    }
}
