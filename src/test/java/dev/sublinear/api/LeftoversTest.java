package dev.sublinear.api;

import static dev.sublinear.testing.RunningService.status;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sublinear.testing.RunningService;
import dev.sublinear.training.SyntheticData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** What a killed process leaves behind never fails a job. */
class LeftoversTest {

    private static final Duration JOB_TIMEOUT = Duration.ofSeconds(180);

    @TempDir
    Path dir;

    @Test
    void aLostClaimsLeftoverDirectoryAndModelNeverFailTheJob() throws Exception {
        Path data = dir.resolve("data");
        try (RunningService service = RunningService.start(data, null)) {
            String file = service.uploadFile(SyntheticData.reversal(dir.resolve("train.jsonl"), 16, 1), "fine-tune");
            // the worker's one CPU slot is busy, so the next job waits in the queue while its leftovers are planted
            String blocker = service.createJob("""
                    {"model": "lm-tiny", "training_file": "%s", "hyperparameters": {"n_epochs": 1000, "batch_size": 4,
                     "max_steps": 100000, "checkpoint_interval_steps": 0}}""".formatted(file));
            service.awaitStatus(blocker, "running", JOB_TIMEOUT);
            String job = service.createJob("""
                    {"model": "lm-tiny", "training_file": "%s", "hyperparameters": {"max_steps": 3}}""".formatted(file));
            assertThat(service.get("/v1/fine_tuning/jobs/" + job).json().get("status").asString()).isEqualTo("queued");
            // a crashed attempt 1 whose claim the database lost: the next claim is attempt 1 again
            plant(data.resolve("work/" + job + "-attempt-1/training.jsonl"), null);
            plant(data.resolve("work/" + job + "-attempt-1/model.zip"), null);
            plant(data.resolve("artifacts/models/" + job + ".zip"), null);
            service.post("/v1/fine_tuning/jobs/" + blocker + "/cancel", "").expect(200);

            JsonNode done = service.awaitJob(job, status("succeeded", "failed"), JOB_TIMEOUT);
            assertThat(done.get("status").asString()).as(done.toString()).isEqualTo("succeeded");
            String events = service.get("/v1/fine_tuning/jobs/" + job + "/events?limit=100").expect(200).body();
            assertThat(done.get("attempt").asInt()).as(events).isEqualTo(1);
            assertThat(events).doesNotContain("FileAlreadyExists", "failed");
            service.post("/v1/models/" + done.get("fine_tuned_model").asString() + "/completions",
                    "{\"prompt\": \"abc\", \"max_tokens\": 3}").expect(200);
        }
    }

    /** A file with some content, last modified at {@code modified} (now when null). */
    private static Path plant(Path file, Instant modified) throws Exception {
        Files.createDirectories(file.getParent());
        Files.write(file, new byte[1024]);
        if (modified != null) {
            Files.setLastModifiedTime(file, FileTime.from(modified));
        }
        return file;
    }
}
