package dev.sublinear.api;

import static dev.sublinear.testing.RunningService.status;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sublinear.testing.RunningService;
import dev.sublinear.testing.ServiceProcess;
import dev.sublinear.testing.TestDatabases;
import dev.sublinear.training.SyntheticData;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The cluster mode: API and worker processes on one PostgreSQL database and one shared artifact
 * directory. No job runs twice; a worker killed mid-job hands its job to another.
 */
class ClusterTest {

    private static final Pattern STARTED = Pattern.compile("Attempt (\\d+) started");

    @TempDir
    Path dir;

    @Test
    void twoWorkersOnOneDatabaseNeverRunAJobTwice() throws Exception {
        TestDatabases.Database database = TestDatabases.postgres();
        String shared = "--sublinear.artifacts-dir=" + dir.resolve("artifacts");
        try (RunningService a =
                        RunningService.start(dir.resolve("a"), database, shared, "--sublinear.worker.id=worker-a");
                RunningService b = RunningService.start(
                        dir.resolve("b"),
                        database,
                        shared,
                        "--sublinear.roles=worker",
                        "--sublinear.worker.id=worker-b")) {
            String file = a.uploadFile(SyntheticData.reversal(dir.resolve("train.jsonl"), 16, 1), "fine-tune");
            int jobCount = 50;
            ExecutorService clients = Executors.newFixedThreadPool(8);
            List<Future<String>> created = new ArrayList<>();
            for (int i = 0; i < jobCount; i++) {
                RunningService api = i % 2 == 0 ? a : b;
                created.add(clients.submit(() -> api.createJob("""
                        {"model": "lm-tiny", "training_file": "%s",
                         "hyperparameters": {"max_steps": 1, "batch_size": 4,
                                             "checkpoint_interval_steps": 0}}""".formatted(file))));
            }
            List<String> jobs = new ArrayList<>();
            for (Future<String> f : created) {
                jobs.add(f.get());
            }
            clients.shutdown();

            for (String job : jobs) {
                JsonNode done = a.awaitJob(job, status("succeeded", "failed", "cancelled"), Duration.ofSeconds(240));
                assertThat(done.get("status").asString()).as(done.toString()).isEqualTo("succeeded");
                assertThat(done.get("attempt").asInt()).as(job).isEqualTo(1);
                JsonNode events = a.get("/v1/fine_tuning/jobs/" + job + "/events?limit=100")
                        .expect(200)
                        .json()
                        .get("data");
                List<String> starts = new ArrayList<>();
                for (JsonNode e : events) {
                    Matcher m = STARTED.matcher(e.get("message").asString());
                    if (m.find()) {
                        starts.add(m.group(1));
                    }
                }
                assertThat(starts).as("attempts of %s", job).hasSize(1);
            }
            // which worker ran an attempt is not in the tenant's events (workers are named after hosts):
            // each worker process counts the attempts it ran
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (attemptsRunBy(a) + attemptsRunBy(b) < jobCount && System.nanoTime() < deadline) {
                RunningService.sleep(100);
            }
            Map<String, Long> ranOn = Map.of("worker-a", attemptsRunBy(a), "worker-b", attemptsRunBy(b));
            assertThat(ranOn.values()).as("attempts per worker: %s", ranOn).allMatch(n -> n > 0);
            assertThat(ranOn.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(jobCount);
            JsonNode workers = a.get("/v1/workers").expect(200).json().get("data");
            assertThat(workers.size()).isEqualTo(2);
        }
    }

    @Test
    void aKilledWorkersJobResumesOnAnotherWorkerFromItsCheckpoint() throws Exception {
        TestDatabases.Database database = TestDatabases.postgres();
        String shared = "--sublinear.artifacts-dir=" + dir.resolve("artifacts");
        try (RunningService api = RunningService.start(dir.resolve("api"), database, shared, "--sublinear.roles=api");
                ServiceProcess doomed = ServiceProcess.start(
                        dir.resolve("doomed"),
                        database,
                        shared,
                        "--sublinear.roles=worker",
                        "--sublinear.worker.id=doomed")) {
            awaitWorker(api, "doomed", doomed);
            String file = api.uploadFile(SyntheticData.reversal(dir.resolve("train.jsonl"), 48, 1), "fine-tune");
            String job = api.createJob("""
                    {"model": "lm-tiny", "training_file": "%s",
                     "hyperparameters": {"n_epochs": 50, "batch_size": 4, "max_steps": 150,
                                         "checkpoint_interval_steps": 10}}""".formatted(file));
            JsonNode running = api.awaitJob(
                    job,
                    j -> "running".equals(j.get("status").asString())
                            && !j.get("latest_checkpoint").isNull(),
                    Duration.ofSeconds(120));
            assertThat(running.get("worker").asString()).isEqualTo("doomed");
            doomed.kill();
            int stepAtKill = api.get("/v1/fine_tuning/jobs/" + job)
                    .json()
                    .get("progress")
                    .get("step")
                    .asInt();

            try (RunningService rescuer = RunningService.start(
                    dir.resolve("rescuer"),
                    database,
                    shared,
                    "--sublinear.roles=worker",
                    "--sublinear.worker.id=rescuer")) {
                JsonNode done = api.awaitJob(job, status("succeeded", "failed"), Duration.ofSeconds(180));
                assertThat(done.get("status").asString()).as(done.toString()).isEqualTo("succeeded");
                assertThat(done.get("attempt").asInt()).isEqualTo(2);
                assertThat(done.get("progress").get("step").asInt()).isEqualTo(150);
                String events = api.get("/v1/fine_tuning/jobs/" + job + "/events?limit=200")
                        .expect(200)
                        .body();
                assertThat(events)
                        .contains(
                                "The job's worker stopped heartbeating during attempt 1",
                                "Attempt 2 started",
                                "resuming from step-");
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (attemptsRunBy(rescuer) < 1 && System.nanoTime() < deadline) {
                    RunningService.sleep(100);
                }
                assertThat(attemptsRunBy(rescuer))
                        .as("attempts run by the rescuer")
                        .isEqualTo(1);
                // at most one checkpoint interval (10 steps) is trained again
                Matcher resumed = Pattern.compile("resuming from step-(\\d+)").matcher(events);
                assertThat(resumed.find()).isTrue();
                assertThat(Integer.parseInt(resumed.group(1))).isGreaterThanOrEqualTo(stepAtKill - 10);
                JsonNode metrics = api.get("/v1/fine_tuning/jobs/" + job + "/metrics?max_points=100000")
                        .json()
                        .get("data");
                Set<Integer> steps = new HashSet<>();
                for (JsonNode p : metrics) {
                    assertThat(steps.add(p.get("step").asInt())).isTrue();
                }
                assertThat(steps).hasSize(150);
                assertThat(stepAtKill).isLessThan(150);
                JsonNode workers = api.get("/v1/workers").json().get("data");
                for (JsonNode w : workers) {
                    if (w.get("id").asString().equals("doomed")) {
                        assertThat(w.get("status").asString()).isEqualTo("lost");
                    }
                }
            }
        }
    }

    /** Attempts this process's worker has finished, from its own meter. */
    private static long attemptsRunBy(RunningService service) {
        Timer attempts = service.context()
                .getBean(MeterRegistry.class)
                .find("sublinear.worker.attempt.duration")
                .timer();
        return attempts == null ? 0 : attempts.count();
    }

    private static void awaitWorker(RunningService api, String id, ServiceProcess process) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < deadline) {
            for (JsonNode w : api.get("/v1/workers").expect(200).json().get("data")) {
                if (w.get("id").asString().equals(id)
                        && w.get("status").asString().equals("online")) {
                    return;
                }
            }
            if (!process.alive()) {
                break;
            }
            RunningService.sleep(200);
        }
        throw new AssertionError("worker " + id + " did not register:\n" + Files.readString(process.log()));
    }
}
