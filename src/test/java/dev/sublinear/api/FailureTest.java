package dev.sublinear.api;

import static dev.sublinear.testing.RunningService.status;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sublinear.testing.RunningService;
import dev.sublinear.testing.TestDatabases;
import dev.sublinear.training.SyntheticData;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.ByteArrayInputStream;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.ZipInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;

/**
 * Failures of what the service stands on, on loopback: the database going away mid-run, a storm of
 * retried submissions, and the artifact store filling up.
 */
class FailureTest {

    @TempDir
    Path dir;

    @Test
    void postgresStoppedAndStartedMidRunTheJobStillSucceeds() throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Path pgData = dir.resolve("pg");
        EmbeddedPostgres pg = EmbeddedPostgres.builder()
                .setDataDirectory(pgData)
                .setCleanDataDirectory(false)
                .setPort(port)
                .start();
        TestDatabases.Database database =
                new TestDatabases.Database("postgresql", pg.getJdbcUrl("postgres", "postgres"), "postgres", "postgres");
        try (RunningService service = RunningService.start(
                dir.resolve("data"), database, "--spring.datasource.hikari.connection-timeout=2000")) {
            String file = service.uploadFile(SyntheticData.reversal(dir.resolve("t.jsonl"), 48, 1), "fine-tune");
            String job = service.createJob("""
                    {"model": "lm-tiny", "training_file": "%s", "hyperparameters": {"n_epochs": 100, "batch_size": 4,
                     "max_steps": 120, "checkpoint_interval_steps": 10}}""".formatted(file));
            service.awaitJob(job, j -> j.get("progress").get("step").asInt() >= 15, Duration.ofSeconds(120));

            pg.close(); // the database is gone for a while
            RunningService.sleep(5_000);
            pg = EmbeddedPostgres.builder()
                    .setDataDirectory(pgData)
                    .setCleanDataDirectory(false)
                    .setPort(port)
                    .start();

            // while the pool reconnects, requests may be refused with 503 and Retry-After; never a 500
            JsonNode done = null;
            long deadline = System.nanoTime() + Duration.ofSeconds(240).toNanos();
            while (System.nanoTime() < deadline) {
                RunningService.Response r = service.get("/v1/fine_tuning/jobs/" + job);
                assertThat(r.status()).as(r.body()).isIn(200, 503);
                if (r.status() == 503) {
                    assertThat(r.contentType()).startsWith("application/problem+json");
                } else if (List.of("succeeded", "failed")
                        .contains(r.json().get("status").asString())) {
                    done = r.json();
                    break;
                }
                RunningService.sleep(200);
            }
            assertThat(done).as("the job ended").isNotNull();
            assertThat(done.get("status").asString()).as(done.toString()).isEqualTo("succeeded");
            assertThat(done.get("progress").get("step").asInt()).isEqualTo(120);
            JsonNode metrics = service.get("/v1/fine_tuning/jobs/" + job + "/metrics?max_points=100000")
                    .json()
                    .get("data");
            Set<Integer> steps = new HashSet<>();
            metrics.forEach(p -> steps.add(p.get("step").asInt()));
            assertThat(steps).hasSize(120);
            service.get("/actuator/health/readiness").expect(200);
        } finally {
            pg.close();
        }
    }

    @Test
    void fiveHundredSubmissionsEachSentTwiceMakeFiveHundredJobs() throws Exception {
        TestDatabases.Database database = TestDatabases.postgres();
        try (RunningService service = RunningService.start(
                dir.resolve("data"),
                database,
                "--sublinear.limits.max-queued-jobs=10000",
                "--sublinear.limits.requests-per-second=100000",
                "--spring.datasource.hikari.maximum-pool-size=20")) {
            String file = service.uploadFile(SyntheticData.reversal(dir.resolve("t.jsonl"), 16, 1), "fine-tune");
            String body = """
                    {"model": "lm-tiny", "training_file": "%s", "hyperparameters": {"max_steps": 1}}""".formatted(file);
            ExecutorService clients = Executors.newFixedThreadPool(32);
            List<Future<String>> answers = new ArrayList<>();
            for (int round = 0; round < 2; round++) {
                for (int i = 0; i < 500; i++) {
                    String key = "submission-" + i;
                    answers.add(clients.submit(() -> key + "="
                            + service.post("/v1/fine_tuning/jobs", body, key)
                                    .expect(201)
                                    .json()
                                    .get("id")
                                    .asString()));
                }
            }
            Set<String> pairs = new HashSet<>();
            for (Future<String> answer : answers) {
                pairs.add(answer.get());
            }
            clients.shutdown();
            // each key answered with one job, both times
            assertThat(pairs).hasSize(500);
            JdbcClient jdbc = service.context().getBean(JdbcClient.class);
            assertThat(jdbc.sql("SELECT COUNT(*) FROM jobs")
                            .query(Integer.class)
                            .single())
                    .isEqualTo(500);
        }
    }

    @Test
    void aFullArtifactStoreFailsTheJobAndKeepsEarlierCheckpoints() throws Exception {
        Path artifacts = dir.resolve("artifacts");
        Files.createDirectories(artifacts);
        // a real, small filesystem: two lm-tiny checkpoints (3.7 MB each) fit, a third does not
        run("mount", "-t", "tmpfs", "-o", "size=9m", "tmpfs", artifacts.toString());
        try (RunningService service = RunningService.start(
                dir.resolve("data"),
                null,
                "--sublinear.artifacts-dir=" + artifacts,
                "--sublinear.jobs.max-attempts=1")) {
            String file = service.uploadFile(SyntheticData.reversal(dir.resolve("t.jsonl"), 48, 1), "fine-tune");
            String job = service.createJob("""
                    {"model": "lm-tiny", "training_file": "%s", "hyperparameters": {"n_epochs": 100, "batch_size": 4,
                     "max_steps": 60, "checkpoint_interval_steps": 5}}""".formatted(file));
            JsonNode failed = service.awaitJob(job, status("succeeded", "failed"), Duration.ofSeconds(180));
            assertThat(failed.get("status").asString()).as(failed.toString()).isEqualTo("failed");
            assertThat(failed.get("error").get("code").asString()).isEqualTo("platform_error");
            assertThat(failed.get("error").get("message").asString()).containsIgnoringCase("space");

            JsonNode checkpoints = service.get("/v1/fine_tuning/jobs/" + job + "/checkpoints")
                    .json()
                    .get("data");
            assertThat(checkpoints.size()).isGreaterThanOrEqualTo(1);
            for (JsonNode c : checkpoints) {
                byte[] archive = service.download("/v1/fine_tuning/jobs/" + job + "/checkpoints/"
                        + c.get("id").asString() + "/content");
                assertThat(archive).hasSize(c.get("bytes").asInt());
                int entries = 0;
                try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(archive))) {
                    while (zip.getNextEntry() != null) {
                        zip.readAllBytes();
                        entries++;
                    }
                }
                assertThat(entries).isEqualTo(4);
            }
            // a new job can still start from the newest of them once there is room
            service.get("/actuator/health/liveness").expect(200);
        } finally {
            run("umount", "-l", artifacts.toString());
        }
    }

    private static void run(String... command) throws Exception {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertThat(p.waitFor()).as("%s: %s", String.join(" ", command), out).isZero();
    }
}
