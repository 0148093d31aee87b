package dev.sublinear.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sublinear.storage.AtomicFiles;
import dev.sublinear.testing.RunningService;
import dev.sublinear.training.SyntheticData;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.http.HttpRequest;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;

/** Bad requests get problem+json naming the field at fault, never a 500. */
class BadInputTest {

    @TempDir
    static Path dir;

    static RunningService service;
    static String lm;
    static String cls;
    static String broken;

    @BeforeAll
    static void start() throws Exception {
        // not a test of the rate limit: 131 cases and their checks pass 100 requests a second on a fast machine
        service = RunningService.start(dir.resolve("data"), null, "--sublinear.limits.requests-per-second=100000");
        lm = service.uploadFile(SyntheticData.reversal(dir.resolve("lm.jsonl"), 16, 1), "fine-tune");
        cls = service.uploadFile(SyntheticData.initials(dir.resolve("cls.jsonl"), 16, 1), "fine-tune");
        broken = "file-never-stored";
    }

    @AfterAll
    static void stop() {
        service.close();
    }

    static String job(String fields) {
        return "{\"model\": \"lm-tiny\", \"training_file\": \"LM\"" + (fields.isEmpty() ? "" : ", " + fields) + "}";
    }

    static Stream<Arguments> badJobs() {
        return Stream.of(
                Arguments.of("unknown top-level field", job("\"epochs\": 3"), 400, "epochs", "unknown_field"),
                Arguments.of(
                        "unknown nested field",
                        job("\"hyperparameters\": {\"lr\": 0.1}"),
                        400,
                        "hyperparameters.lr",
                        "unknown_field"),
                Arguments.of(
                        "n_epochs zero",
                        job("\"hyperparameters\": {\"n_epochs\": 0}"),
                        400,
                        "hyperparameters.n_epochs",
                        "invalid_request"),
                Arguments.of(
                        "batch_size too big",
                        job("\"hyperparameters\": {\"batch_size\": 100000}"),
                        400,
                        "hyperparameters.batch_size",
                        "invalid_request"),
                Arguments.of(
                        "negative learning rate",
                        job("\"optimizer\": {\"relative_step\": false},"
                                + " \"hyperparameters\": {\"learning_rate\": -1}"),
                        400,
                        "hyperparameters.learning_rate",
                        "invalid_request"),
                Arguments.of(
                        "learning rate with relative step",
                        job("\"hyperparameters\": {\"learning_rate\": 0.01},"
                                + " \"optimizer\": {\"relative_step\": true}"),
                        400,
                        "hyperparameters.learning_rate",
                        "invalid_request"),
                Arguments.of(
                        "string for a number",
                        job("\"hyperparameters\": {\"n_epochs\": \"three\"}"),
                        400,
                        "hyperparameters.n_epochs",
                        "invalid_request"),
                Arguments.of(
                        "beta1 of one",
                        job("\"optimizer\": {\"beta1\": 1.0}"),
                        400,
                        "optimizer.beta1",
                        "invalid_request"),
                Arguments.of(
                        "decay rate zero",
                        job("\"optimizer\": {\"decay_rate\": 0}"),
                        400,
                        "optimizer.decay_rate",
                        "invalid_request"),
                Arguments.of(
                        "beta2 of one",
                        job("\"optimizer\": {\"beta2\": 1.0}"),
                        400,
                        "optimizer.beta2",
                        "invalid_request"),
                Arguments.of(
                        "beta2 and decay rate",
                        job("\"optimizer\": {\"beta2\": 0.999, \"decay_rate\": 0.8}"),
                        400,
                        "optimizer.beta2",
                        "invalid_request"),
                Arguments.of(
                        "unknown optimizer",
                        job("\"optimizer\": {\"type\": \"sgd\"}"),
                        400,
                        "optimizer.type",
                        "invalid_request"),
                Arguments.of(
                        "adafactor option on adam",
                        job("\"optimizer\": {\"type\": \"adam\", \"factored\": false},"
                                + " \"hyperparameters\": {\"learning_rate\": 0.001}"),
                        400,
                        "optimizer.factored",
                        "invalid_request"),
                Arguments.of("unknown task", job("\"task\": \"translation\""), 400, "task", "invalid_request"),
                Arguments.of(
                        "task the model is not for",
                        job("\"task\": \"classification\""),
                        400,
                        "task",
                        "invalid_request"),
                Arguments.of(
                        "unknown model",
                        "{\"model\": \"gpt-9\", \"training_file\": \"LM\"}",
                        400,
                        "model",
                        "invalid_request"),
                Arguments.of("missing model", "{\"training_file\": \"LM\"}", 400, "model", "invalid_request"),
                Arguments.of(
                        "missing training file", "{\"model\": \"lm-tiny\"}", 400, "training_file", "invalid_request"),
                Arguments.of(
                        "no such training file",
                        "{\"model\": \"lm-tiny\", \"training_file\": \"file-nope\"}",
                        400,
                        "training_file",
                        "invalid_request"),
                Arguments.of(
                        "file for the other task",
                        "{\"model\": \"lm-tiny\", \"training_file\": \"CLS\"}",
                        400,
                        "training_file",
                        "invalid_request"),
                Arguments.of(
                        "file that was never stored",
                        "{\"model\": \"lm-tiny\", \"training_file\": \"BROKEN\"}",
                        400,
                        "training_file",
                        "invalid_request"),
                Arguments.of(
                        "more GPUs than any worker",
                        job("\"resources\": {\"gpus\": 8}"),
                        400,
                        "resources.gpus",
                        "invalid_request"),
                Arguments.of("priority out of range", job("\"priority\": 1000"), 400, "priority", "invalid_request"),
                Arguments.of("bad suffix", job("\"suffix\": \"Has Spaces\""), 400, "suffix", "invalid_request"),
                Arguments.of(
                        "null for a primitive-like field",
                        job("\"hyperparameters\": {\"n_epochs\": null}, \"seed\": -1"),
                        400,
                        "seed",
                        "invalid_request"),
                Arguments.of(
                        "array instead of object",
                        job("\"hyperparameters\": [1, 2]"),
                        400,
                        "hyperparameters",
                        "invalid_type"),
                Arguments.of("malformed JSON", "{\"model\": \"lm-tiny\",", 400, null, "invalid_json"),
                Arguments.of("empty body", "", 400, null, "invalid_json"),
                Arguments.of(
                        "negative epochs",
                        job("\"hyperparameters\": {\"n_epochs\": -1}"),
                        400,
                        "hyperparameters.n_epochs",
                        "invalid_request"),
                Arguments.of(
                        "negative max steps",
                        job("\"hyperparameters\": {\"max_steps\": -5}"),
                        400,
                        "hyperparameters.max_steps",
                        "invalid_request"),
                Arguments.of(
                        "negative warm-up",
                        job("\"hyperparameters\": {\"warmup_steps\": -1}"),
                        400,
                        "hyperparameters.warmup_steps",
                        "invalid_request"),
                Arguments.of(
                        "zero accumulation",
                        job("\"hyperparameters\": {\"gradient_accumulation\": 0}"),
                        400,
                        "hyperparameters.gradient_accumulation",
                        "invalid_request"),
                Arguments.of(
                        "negative eval interval",
                        job("\"hyperparameters\": {\"eval_interval_steps\": -1}"),
                        400,
                        "hyperparameters.eval_interval_steps",
                        "invalid_request"),
                Arguments.of(
                        "negative checkpoint interval",
                        job("\"hyperparameters\": {\"checkpoint_interval_steps\": -1}"),
                        400,
                        "hyperparameters.checkpoint_interval_steps",
                        "invalid_request"),
                Arguments.of(
                        "fraction for an integer",
                        job("\"hyperparameters\": {\"gradient_accumulation\": 1.5}"),
                        400,
                        "hyperparameters.gradient_accumulation",
                        "invalid_type"),
                Arguments.of(
                        "integer overflow",
                        job("\"hyperparameters\": {\"max_steps\": 99999999999999999999}"),
                        400,
                        "hyperparameters.max_steps",
                        "invalid_type"),
                Arguments.of(
                        "overflowing double",
                        job("\"optimizer\": {\"relative_step\": false},"
                                + " \"hyperparameters\": {\"learning_rate\": 1e400}"),
                        400,
                        "hyperparameters.learning_rate",
                        "invalid_request"),
                Arguments.of(
                        "NaN literal",
                        job("\"hyperparameters\": {\"learning_rate\": NaN}"),
                        400,
                        "hyperparameters",
                        "invalid_json"),
                Arguments.of(
                        "NaN as a string",
                        job("\"optimizer\": {\"relative_step\": false},"
                                + " \"hyperparameters\": {\"learning_rate\": \"NaN\"}"),
                        400,
                        "hyperparameters.learning_rate",
                        "invalid_request"),
                Arguments.of(
                        "Infinity as a string",
                        job("\"optimizer\": {\"epsilon1\": \"Infinity\"}"),
                        400,
                        "optimizer.epsilon1",
                        "invalid_request"),
                Arguments.of("number in quotes", job("\"priority\": \"5\""), 400, "priority", "invalid_type"),
                Arguments.of(
                        "negative weight decay",
                        job("\"optimizer\": {\"weight_decay\": -0.1}"),
                        400,
                        "optimizer.weight_decay",
                        "invalid_request"),
                Arguments.of(
                        "zero clip threshold",
                        job("\"optimizer\": {\"clip_threshold\": 0}"),
                        400,
                        "optimizer.clip_threshold",
                        "invalid_request"),
                Arguments.of(
                        "zero epsilon2",
                        job("\"optimizer\": {\"epsilon2\": 0}"),
                        400,
                        "optimizer.epsilon2",
                        "invalid_request"),
                Arguments.of(
                        "zero min dim to factor",
                        job("\"optimizer\": {\"min_dim_size_to_factor\": 0}"),
                        400,
                        "optimizer.min_dim_size_to_factor",
                        "invalid_request"),
                Arguments.of(
                        "negative beta1",
                        job("\"optimizer\": {\"beta1\": -0.1}"),
                        400,
                        "optimizer.beta1",
                        "invalid_request"),
                Arguments.of(
                        "string for a boolean",
                        job("\"optimizer\": {\"factored\": \"yes\"}"),
                        400,
                        "optimizer.factored",
                        "invalid_type"),
                Arguments.of(
                        "warmup_init without relative step",
                        job("\"optimizer\": {\"warmup_init\": true,"
                                + " \"relative_step\": false}, \"hyperparameters\": {\"learning_rate\": 0.01}"),
                        400,
                        "optimizer.warmup_init",
                        "invalid_request"),
                Arguments.of("priority too low", job("\"priority\": -101"), 400, "priority", "invalid_request"),
                Arguments.of("negative seed", job("\"seed\": -5"), 400, "seed", "invalid_request"),
                Arguments.of("empty suffix", job("\"suffix\": \"\""), 400, "suffix", "invalid_request"),
                Arguments.of(
                        "suffix too long",
                        job("\"suffix\": \"" + "a".repeat(41) + "\""),
                        400,
                        "suffix",
                        "invalid_request"),
                Arguments.of("traversal in suffix", job("\"suffix\": \"../../x\""), 400, "suffix", "invalid_request"),
                Arguments.of(
                        "too many metadata entries",
                        job("\"metadata\": {"
                                + IntStream.range(0, 17)
                                        .mapToObj(i -> "\"k" + i + "\": \"v\"")
                                        .collect(Collectors.joining(", "))
                                + "}"),
                        400,
                        "metadata",
                        "invalid_request"),
                Arguments.of(
                        "metadata value too long",
                        job("\"metadata\": {\"k\": \"" + "v".repeat(513) + "\"}"),
                        400,
                        "metadata[k]",
                        "invalid_request"),
                Arguments.of(
                        "metadata key too long",
                        job("\"metadata\": {\"" + "k".repeat(65) + "\": \"v\"}"),
                        400,
                        "metadata[" + "k".repeat(65) + "]",
                        "invalid_request"),
                Arguments.of("deeply nested arrays", "[".repeat(5000) + "]".repeat(5000), 400, null, "invalid_json"),
                Arguments.of(
                        "metadata value not a string",
                        job("\"metadata\": {\"k\": {\"x\": 1}}"),
                        400,
                        "metadata.k",
                        "invalid_type"),
                Arguments.of(
                        "negative GPUs",
                        job("\"resources\": {\"gpus\": -1}"),
                        400,
                        "resources.gpus",
                        "invalid_request"),
                Arguments.of(
                        "model name too long",
                        "{\"model\": \"" + "m".repeat(301) + "\", \"training_file\": \"LM\"}",
                        400,
                        "model",
                        "invalid_request"),
                Arguments.of(
                        "traversal as a model",
                        "{\"model\": \"../../etc/passwd\", \"training_file\": \"LM\"}",
                        400,
                        "model",
                        "invalid_request"),
                Arguments.of(
                        "traversal as a file id",
                        "{\"model\": \"lm-tiny\", \"training_file\": \"../../etc/passwd\"}",
                        400,
                        "training_file",
                        "invalid_request"),
                Arguments.of(
                        "validation file for the other task",
                        job("\"validation_file\": \"CLS\""),
                        400,
                        "validation_file",
                        "invalid_request"),
                Arguments.of(
                        "deeply nested JSON",
                        job("\"metadata\": " + "{\"a\": ".repeat(3000) + "1" + "}".repeat(3000)),
                        400,
                        "metadata.a",
                        "invalid_type"),
                Arguments.of("array body", "[1, 2, 3]", 400, null, "invalid_json"),
                Arguments.of("string body", "\"lm-tiny\"", 400, null, "invalid_json"),
                Arguments.of("trailing garbage", job("") + " {}", 400, null, "invalid_json"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badJobs")
    void aBadJobIsRefusedNamingTheField(String name, String body, int status, String param, String code) {
        String json = body.replace("\"LM\"", "\"" + lm + "\"")
                .replace("\"CLS\"", "\"" + cls + "\"")
                .replace("\"BROKEN\"", "\"" + broken + "\"");
        RunningService.Response response = service.post("/v1/fine_tuning/jobs", json);
        assertProblem(response, status, param, code);
    }

    static Stream<Arguments> badReads() {
        return Stream.of(
                Arguments.of("/v1/fine_tuning/jobs/ftjob-nope", 404, "fine_tuning_job_id", "not_found"),
                Arguments.of("/v1/fine_tuning/jobs?limit=0", 400, "limit", "invalid_request"),
                Arguments.of("/v1/fine_tuning/jobs?limit=abc", 400, "limit", "invalid_request"),
                Arguments.of("/v1/fine_tuning/jobs?status=sleeping", 400, "status", "invalid_request"),
                Arguments.of("/v1/fine_tuning/jobs?after=ftjob-nope", 404, "after", "not_found"),
                Arguments.of("/v1/fine_tuning/jobs/ftjob-nope/events", 404, "fine_tuning_job_id", "not_found"),
                Arguments.of("/v1/fine_tuning/jobs/ftjob-nope/metrics", 404, "fine_tuning_job_id", "not_found"),
                Arguments.of("/v1/fine_tuning/jobs/ftjob-nope/checkpoints", 404, "fine_tuning_job_id", "not_found"),
                Arguments.of("/v1/files/file-nope", 404, "file_id", "not_found"),
                Arguments.of("/v1/files/file-nope/content", 404, "file_id", "not_found"),
                Arguments.of("/v1/models/ft:nope", 404, "model", "not_found"),
                Arguments.of("/v1/files/..%2F..%2Fetc%2Fpasswd", 400, null, "invalid_request"),
                Arguments.of("/v1/files/%2e%2e", 400, null, "invalid_path"),
                Arguments.of("/v1/files/..;/..;/etc/passwd", 400, null, "invalid_path"),
                Arguments.of("/v1/models/..%2F..%2Fsecret", 400, null, "invalid_request"),
                Arguments.of(
                        "/v1/fine_tuning/jobs/ftjob-x/checkpoints/..%2F..%2Fx/content", 400, null, "invalid_request"),
                Arguments.of("/v1/files?limit=-1", 400, "limit", "invalid_request"),
                Arguments.of("/v1/files?limit=10001", 400, "limit", "invalid_request"),
                Arguments.of("/v1/files?limit=1e3", 400, "limit", "invalid_request"),
                Arguments.of("/v1/files?after=..%2F..%2Fx", 404, "after", "not_found"),
                Arguments.of("/v1/fine_tuning/jobs/ftjob-x/events?limit=1001", 400, "limit", "invalid_request"),
                Arguments.of("/v1/fine_tuning/jobs/ftjob-x/metrics?max_points=5", 400, "max_points", "invalid_request"),
                Arguments.of(
                        "/v1/fine_tuning/jobs/ftjob-x/metrics?max_points=abc", 400, "max_points", "invalid_request"),
                Arguments.of("/v1/no-such-endpoint", 404, null, "not_found"),
                Arguments.of("/v1/files/file-" + "x".repeat(5000), 404, "file_id", "not_found"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badReads")
    void aBadReadIsRefusedNamingTheParameter(String path, int status, String param, String code) {
        // a traversal attempt may be stopped by the router (no param) or by the lookup (the id's param)
        assertProblem(service.get(path), status, param, code, param != null || code != null);
    }

    @Test
    void anUnusableUploadIsRefusedWithLineNumbersAndNothingIsKept() {
        RunningService.Response response = service.upload(
                "broken.jsonl", "{\"prompt\": 1}\nnot json\n".getBytes(StandardCharsets.UTF_8), "fine-tune");
        assertProblem(response, 400, "file", "invalid_request");
        assertThat(response.json().get("detail").asString())
                .contains("line 1, field 'prompt': must be a string", "line 2: is not valid JSON")
                .doesNotContain("gson", "https://");
        assertThat(response.json().get("errors").size()).isEqualTo(3);
    }

    static Stream<Arguments> badUploads() throws Exception {
        return Stream.of(
                Arguments.of("traversal in the file name", "../../etc/passwd", LINES, "fine-tune", 400, "file"),
                Arguments.of("a folder in the file name", "a/b.jsonl", LINES, "fine-tune", 400, "file"),
                Arguments.of("a backslash in the file name", "a\\b.jsonl", LINES, "fine-tune", 400, "file"),
                Arguments.of("dot-dot as the file name", "..", LINES, "fine-tune", 400, "file"),
                Arguments.of("a control character in the file name", "a\tb.jsonl", LINES, "fine-tune", 400, "file"),
                Arguments.of("a file name too long", "n".repeat(300) + ".jsonl", LINES, "fine-tune", 400, "file"),
                Arguments.of("unknown purpose", "x.jsonl", LINES, "pretraining", 400, "purpose"),
                Arguments.of("empty file", "x.jsonl", new byte[0], "fine-tune", 400, "file"),
                Arguments.of(
                        "invalid UTF-8",
                        "x.jsonl",
                        new byte[] {
                            '{',
                            '"',
                            't',
                            'e',
                            'x',
                            't',
                            '"',
                            ':',
                            '"',
                            (byte) 0xff,
                            (byte) 0xfe,
                            '"',
                            '}',
                            '\n',
                            '{',
                            '"',
                            't',
                            'e',
                            'x',
                            't',
                            '"',
                            ':',
                            '"',
                            'a',
                            '"',
                            '}',
                            '\n'
                        },
                        "fine-tune",
                        400,
                        "file"),
                Arguments.of(
                        "a line over 1 MiB",
                        "x.jsonl",
                        ("{\"text\": \"" + "a".repeat((1 << 20) + 10) + "\"}\n" + "{\"text\": \"b\"}\n")
                                .getBytes(StandardCharsets.UTF_8),
                        "fine-tune",
                        400,
                        "file"),
                Arguments.of(
                        "lines that are not objects",
                        "x.jsonl",
                        "[1]\n2\n\"s\"\n".getBytes(StandardCharsets.UTF_8),
                        "fine-tune",
                        400,
                        "file"),
                Arguments.of(
                        "a binary file",
                        "x.jsonl",
                        new byte[] {0, 1, 2, 3, 4, 5, (byte) 0x89, 'P', 'N', 'G'},
                        "fine-tune",
                        400,
                        "file"),
                Arguments.of("JSONL as a model", "m.zip", LINES, "model", 400, "file"),
                Arguments.of(
                        "a zip with a ../ entry",
                        "m.zip",
                        zip(Map.of("../evil", new byte[] {1})),
                        "model",
                        400,
                        "file"),
                Arguments.of(
                        "a zip with an absolute entry",
                        "m.zip",
                        zip(Map.of("/etc/cron.d/x", new byte[] {1})),
                        "model",
                        400,
                        "file"),
                Arguments.of(
                        "a zip bomb",
                        "m.zip",
                        zip(Map.of("config.json", new byte[4 << 20], "model.params", new byte[8])),
                        "model",
                        400,
                        "file"),
                Arguments.of(
                        "a zip with an extra entry",
                        "m.zip",
                        zip(Map.of(
                                "config.json",
                                "{}".getBytes(StandardCharsets.UTF_8),
                                "model.params",
                                new byte[8],
                                "extra.bin",
                                new byte[1])),
                        "model",
                        400,
                        "file"),
                Arguments.of(
                        "a zip without parameters",
                        "m.zip",
                        zip(Map.of("config.json", "{}".getBytes(StandardCharsets.UTF_8))),
                        "model",
                        400,
                        "file"),
                Arguments.of(
                        "a zip with a bad config",
                        "m.zip",
                        zip(Map.of(
                                "config.json",
                                "{\"layers\": -1}".getBytes(StandardCharsets.UTF_8),
                                "model.params",
                                new byte[8])),
                        "model",
                        400,
                        "file"),
                Arguments.of(
                        "a truncated zip",
                        "m.zip",
                        Arrays.copyOf(zip(Map.of("config.json", new byte[1000], "model.params", new byte[1000])), 60),
                        "model",
                        400,
                        "file"));
    }

    private static final byte[] LINES =
            "{\"text\": \"hello\"}\n{\"text\": \"world\"}\n".getBytes(StandardCharsets.UTF_8);

    private static byte[] zip(Map<String, byte[]> entries) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
            for (Map.Entry<String, byte[]> e : new TreeMap<>(entries).entrySet()) {
                zip.putNextEntry(new ZipEntry(e.getKey()));
                zip.write(e.getValue());
                zip.closeEntry();
            }
        }
        return bytes.toByteArray();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badUploads")
    void aBadUploadIsRefusedAndNothingIsWritten(
            String name, String filename, byte[] content, String purpose, int status, String param) throws Exception {
        long before = storedArtifacts();
        int listed = service.get("/v1/files?limit=100").json().get("data").size();
        RunningService.Response response = service.upload(filename, content, purpose);
        assertProblem(response, status, param, null);
        assertThat(storedArtifacts()).as("artifacts after %s", name).isEqualTo(before);
        assertThat(service.get("/v1/files?limit=100").json().get("data").size()).isEqualTo(listed);
    }

    static Stream<Arguments> badRawRequests() {
        String boundary = "b0undary";
        String truncated = "--" + boundary
                + "\r\nContent-Disposition: form-data; name=\"purpose\"\r\n\r\nfine-tune\r\n--" + boundary
                + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"x.jsonl\"\r\n\r\n{\"text\":";
        return Stream.of(
                Arguments.of(
                        "truncated multipart",
                        "POST",
                        "/v1/files",
                        "multipart/form-data; boundary=" + boundary,
                        truncated.getBytes(StandardCharsets.UTF_8),
                        400),
                Arguments.of(
                        "multipart without a boundary",
                        "POST",
                        "/v1/files",
                        "multipart/form-data",
                        "x".getBytes(StandardCharsets.UTF_8),
                        400),
                Arguments.of(
                        "JSON to the upload endpoint",
                        "POST",
                        "/v1/files",
                        "application/json",
                        "{}".getBytes(StandardCharsets.UTF_8),
                        415),
                Arguments.of(
                        "text to the jobs endpoint",
                        "POST",
                        "/v1/fine_tuning/jobs",
                        "text/plain",
                        "model=lm-tiny".getBytes(StandardCharsets.UTF_8),
                        415),
                Arguments.of(
                        "invalid UTF-8 in JSON",
                        "POST",
                        "/v1/fine_tuning/jobs",
                        "application/json",
                        new byte[] {'{', '"', 'm', 'o', 'd', 'e', 'l', '"', ':', '"', (byte) 0xc3, (byte) 0x28, '"', '}'
                        },
                        400),
                Arguments.of("DELETE on a list", "DELETE", "/v1/workers", "application/json", new byte[0], 405),
                Arguments.of(
                        "GET on an action",
                        "GET",
                        "/v1/fine_tuning/jobs/ftjob-x/cancel",
                        "application/json",
                        new byte[0],
                        405),
                Arguments.of(
                        "missing prompt",
                        "POST",
                        "/v1/models/lm-tiny/completions",
                        "application/json",
                        "{}".getBytes(StandardCharsets.UTF_8),
                        400),
                Arguments.of(
                        "zero max_tokens",
                        "POST",
                        "/v1/models/lm-tiny/completions",
                        "application/json",
                        "{\"prompt\": \"a\", \"max_tokens\": 0}".getBytes(StandardCharsets.UTF_8),
                        400),
                Arguments.of(
                        "too many max_tokens",
                        "POST",
                        "/v1/models/lm-tiny/completions",
                        "application/json",
                        "{\"prompt\": \"a\", \"max_tokens\": 5000}".getBytes(StandardCharsets.UTF_8),
                        400),
                Arguments.of(
                        "negative temperature",
                        "POST",
                        "/v1/models/lm-tiny/completions",
                        "application/json",
                        "{\"prompt\": \"a\", \"temperature\": -1}".getBytes(StandardCharsets.UTF_8),
                        400),
                Arguments.of(
                        "prompt too long",
                        "POST",
                        "/v1/models/lm-tiny/completions",
                        "application/json",
                        ("{\"prompt\": \"" + "a".repeat(10_001) + "\"}").getBytes(StandardCharsets.UTF_8),
                        400),
                Arguments.of(
                        "prediction without text",
                        "POST",
                        "/v1/models/cls-tiny/predictions",
                        "application/json",
                        "{\"txt\": \"a\"}".getBytes(StandardCharsets.UTF_8),
                        400),
                Arguments.of(
                        "idempotency key too long",
                        "POST",
                        "/v1/fine_tuning/jobs#key",
                        "application/json",
                        job("").getBytes(StandardCharsets.UTF_8),
                        400),
                Arguments.of(
                        "tenant id with traversal",
                        "POST",
                        "/v1/admin/tenants",
                        "application/json",
                        "{\"id\": \"../x\"}".getBytes(StandardCharsets.UTF_8),
                        400),
                Arguments.of(
                        "limits out of range",
                        "PUT",
                        "/v1/admin/tenants/default/limits",
                        "application/json",
                        "{\"max_running_jobs\": 0}".getBytes(StandardCharsets.UTF_8),
                        400));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badRawRequests")
    void aMalformedRequestGetsAProblemNotA500(
            String name, String method, String path, String contentType, byte[] body, int status) {
        boolean longKey = path.endsWith("#key");
        String target = longKey ? path.substring(0, path.length() - 4) : path;
        HttpRequest.Builder request = service.request(target)
                .header("Content-Type", contentType)
                .method(method, HttpRequest.BodyPublishers.ofByteArray(body));
        if (longKey) {
            request.header("Idempotency-Key", "k".repeat(300));
        }
        RunningService.Response response = service.send(request.build());
        assertProblem(response, status, longKey ? "Idempotency-Key" : null, null, false);
    }

    @AfterEach
    void theServiceKeepsServing() {
        service.get("/actuator/health/readiness").expect(200);
        service.get("/v1/files/" + lm).expect(200);
    }

    /** Artifacts stored; a write in flight (the store's periodic writability probe) is not one. */
    private static long storedArtifacts() throws IOException {
        AtomicLong count = new AtomicLong();
        Files.walkFileTree(dir.resolve("data").resolve("artifacts"), new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
                if (attributes.isRegularFile() && !AtomicFiles.isTemporary(file)) {
                    count.incrementAndGet();
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFileFailed(Path file, IOException e) {
                return FileVisitResult.CONTINUE; // a temporary file renamed or deleted while walking
            }
        });
        return count.get();
    }

    @Test
    void aFileInUseCannotBeDeleted() {
        String job = service.createJob(
                "{\"model\": \"lm-tiny\", \"training_file\": \"" + lm + "\", \"hyperparameters\": {\"n_epochs\": 50}}");
        assertProblem(service.delete("/v1/files/" + lm), 409, "file_id", "conflict");
        service.post("/v1/fine_tuning/jobs/" + job + "/cancel", "").expect(200);
        service.awaitStatus(job, "cancelled", Duration.ofSeconds(60));
        assertThat(service.get("/v1/files/" + lm).status()).isEqualTo(200);
    }

    @Test
    void catalogModelsCannotBeDeleted() {
        assertProblem(service.delete("/v1/models/lm-tiny"), 409, "model", "conflict");
    }

    static void assertProblem(RunningService.Response response, int status, String param, String code) {
        assertProblem(response, status, param, code, true);
    }

    static void assertProblem(
            RunningService.Response response, int status, String param, String code, boolean checkParam) {
        assertThat(response.status()).as(response.body()).isEqualTo(status);
        assertThat(response.contentType()).startsWith("application/problem+json");
        JsonNode problem = response.json();
        assertThat(problem.get("status").asInt()).isEqualTo(status);
        assertThat(problem.get("code")).as(response.body()).isNotNull();
        if (code != null) {
            assertThat(problem.get("code").asString()).as(response.body()).isEqualTo(code);
        }
        if (!checkParam && param == null) {
            // what the request got wrong is not always one field (a truncated body, a wrong method)
        } else if (param == null) {
            assertThat(problem.get("param") == null || problem.get("param").isNull())
                    .as(response.body())
                    .isTrue();
        } else {
            assertThat(problem.get("param").asString()).as(response.body()).isEqualTo(param);
        }
        assertThat(problem.get("detail").asString()).isNotBlank().doesNotContain("Exception", "\tat ");
    }
}
