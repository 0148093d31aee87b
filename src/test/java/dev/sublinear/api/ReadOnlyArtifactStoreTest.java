package dev.sublinear.api;

import static dev.sublinear.testing.RunningService.status;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sublinear.testing.Mounts;
import dev.sublinear.testing.RunningService;
import dev.sublinear.training.SyntheticData;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * A worker whose artifact store cannot be written claims nothing and charges no attempt: the job
 * waits, and runs once the store is writable again. The store is a tmpfs remounted read-only,
 * a condition that holds for root too (the suite runs as root, where chmod stops no write).
 */
class ReadOnlyArtifactStoreTest {

    @TempDir
    Path dir;

    @Test
    void aReadOnlyStoreBurnsNoAttemptsAndTheJobRunsOnceItIsWritable() throws Exception {
        Assumptions.assumeTrue(Mounts.available(dir.resolve("probe")), "needs root and mount(8) for a read-only tmpfs");
        Path artifacts = dir.resolve("artifacts");
        Mounts.tmpfs(artifacts, "64m");
        // one attempt: on the unfixed service any attempt the read-only store costs fails the job
        try (RunningService service = RunningService.start(
                dir.resolve("data"),
                null,
                "--sublinear.artifacts-dir=" + artifacts,
                "--sublinear.jobs.max-attempts=1",
                "--sublinear.worker.unwritable-store-backoff=1s")) {
            String file = service.uploadFile(SyntheticData.reversal(dir.resolve("t.jsonl"), 48, 1), "fine-tune");

            Mounts.readOnly(artifacts);
            String job = service.createJob("""
                    {"model": "lm-tiny", "training_file": "%s", "hyperparameters": {"n_epochs": 100, "batch_size": 4,
                     "max_steps": 60, "checkpoint_interval_steps": 5}}""".formatted(file));
            // long enough for a worker that claims regardless to reach its first checkpoint and fail
            long until = System.nanoTime() + Duration.ofSeconds(8).toNanos();
            JsonNode waiting;
            do {
                RunningService.sleep(200);
                waiting = service.get("/v1/fine_tuning/jobs/" + job).expect(200).json();
            } while (System.nanoTime() < until
                    && waiting.get("status").asString().equals("queued"));
            assertThat(waiting.get("status").asString()).as(waiting.toString()).isEqualTo("queued");
            assertThat(waiting.get("attempt").asInt()).isZero();
            service.get("/actuator/health/readiness").expect(503);

            // writable: the job runs; read-only again mid-run: its next checkpoint fails and it goes back uncharged
            Mounts.writable(artifacts);
            service.awaitJob(
                    job,
                    j -> j.get("status").asString().equals("running")
                            && !j.get("latest_checkpoint").isNull(),
                    Duration.ofSeconds(120));
            Mounts.readOnly(artifacts);
            JsonNode requeued = service.awaitJob(job, status("queued", "failed", "succeeded"), Duration.ofSeconds(120));
            assertThat(requeued.get("status").asString())
                    .as(requeued.toString())
                    .isEqualTo("queued");
            assertThat(requeued.get("attempt").asInt()).isZero();
            RunningService.sleep(2_000);
            JsonNode stillQueued =
                    service.get("/v1/fine_tuning/jobs/" + job).expect(200).json();
            assertThat(stillQueued.get("status").asString())
                    .as("claimed while read-only")
                    .isEqualTo("queued");

            Mounts.writable(artifacts);
            JsonNode done = service.awaitJob(job, status("succeeded", "failed"), Duration.ofSeconds(240));
            assertThat(done.get("status").asString()).as(done.toString()).isEqualTo("succeeded");
            assertThat(done.get("attempt").asInt()).isEqualTo(1);
            assertThat(done.get("progress").get("step").asInt()).isEqualTo(60);
            String events = service.get("/v1/fine_tuning/jobs/" + job + "/events?limit=1000")
                    .expect(200)
                    .body();
            assertThat(events).contains("could not write to the artifact store", "resuming from step-");
            service.get("/actuator/health/readiness").expect(200);
        } finally {
            Mounts.unmount(artifacts);
        }
    }
}
