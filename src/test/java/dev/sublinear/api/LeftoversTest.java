package dev.sublinear.api;

import static dev.sublinear.testing.RunningService.status;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sublinear.testing.RunningService;
import dev.sublinear.testing.Trees;
import dev.sublinear.training.SyntheticData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * What a killed process leaves behind: its job work directories, uploads written but never
 * recorded, a lost claim's directory. Start-up removes what is dead and keeps what another replica
 * may still be writing; a leftover never fails a job; what the service writes for tenants is
 * readable by its own user only.
 */
class LeftoversTest {

    private static final Duration JOB_TIMEOUT = Duration.ofSeconds(180);

    @TempDir
    Path dir;

    @Test
    void startUpRemovesAKilledProcessesLeftoversAndKeepsWritesInFlight() throws Exception {
        Path data = dir.resolve("data");
        Path training = SyntheticData.reversal(dir.resolve("train.jsonl"), 16, 1);
        String file;
        try (RunningService first = RunningService.start(data, null)) {
            file = first.uploadFile(training, "fine-tune");
        }
        Path artifacts = data.resolve("artifacts");
        Path files = fileDirectory(artifacts, file);
        Instant old = Instant.now().minus(Duration.ofHours(2));
        // kill -9 leftovers: a job's work directory with its training data; an upload stored but never
        // recorded (with its checksum); an upload cut off mid-stream; a model and its unpacked copy whose row is gone
        Path work = plant(data.resolve("work/ftjob-killed-attempt-1/training.jsonl"), null);
        Path orphan = plant(files.resolve("file-orphan"), old);
        Path orphanChecksum = plant(files.resolve("file-orphan.sha256"), old);
        Path cutOff = plant(files.resolve(".writing-123.tmp"), old);
        Path orphanModel = plant(artifacts.resolve("models/ftjob-gone.zip"), old);
        Path unpacked = plant(data.resolve("cache/models/ftjob-gone/model.params"), null);
        // another replica's upload in progress, younger than the grace period: kept
        Path inFlight = plant(files.resolve("file-inflight"), null);
        Path inFlightTemporary = plant(files.resolve(".writing-456.tmp"), null);

        try (RunningService second = RunningService.start(data, null)) {
            assertThat(work.getParent()).doesNotExist();
            assertThat(unpacked.getParent()).doesNotExist();
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (Stream.of(orphan, orphanChecksum, cutOff, orphanModel).anyMatch(Files::exists)
                    && System.nanoTime() < deadline) {
                RunningService.sleep(100);
            }
            assertThat(orphan).doesNotExist();
            assertThat(orphanChecksum).doesNotExist();
            assertThat(cutOff).doesNotExist();
            assertThat(orphanModel).doesNotExist();
            assertThat(inFlight).exists();
            assertThat(inFlightTemporary).exists();
            assertThat(second.download("/v1/files/" + file + "/content")).isEqualTo(Files.readAllBytes(training));
            assertThat(second.get("/v1/files").expect(200).json().get("data").size())
                    .isEqualTo(1);
        }
    }

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
                    {"model": "lm-tiny", "training_file": "%s",
                    "hyperparameters": {"max_steps": 3}}""".formatted(file));
            assertThat(service.get("/v1/fine_tuning/jobs/" + job)
                            .json()
                            .get("status")
                            .asString())
                    .isEqualTo("queued");
            // a crashed attempt 1 whose claim the database lost: the next claim is attempt 1 again
            plant(data.resolve("work/" + job + "-attempt-1/training.jsonl"), null);
            plant(data.resolve("work/" + job + "-attempt-1/model.zip"), null);
            plant(data.resolve("artifacts/models/" + job + ".zip"), null);
            service.post("/v1/fine_tuning/jobs/" + blocker + "/cancel", "").expect(200);

            JsonNode done = service.awaitJob(job, status("succeeded", "failed"), JOB_TIMEOUT);
            assertThat(done.get("status").asString()).as(done.toString()).isEqualTo("succeeded");
            String events = service.get("/v1/fine_tuning/jobs/" + job + "/events?limit=100")
                    .expect(200)
                    .body();
            assertThat(done.get("attempt").asInt()).as(events).isEqualTo(1);
            assertThat(events).doesNotContain("FileAlreadyExists", "failed");
            service.post(
                            "/v1/models/" + done.get("fine_tuned_model").asString() + "/completions",
                            "{\"prompt\": \"abc\", \"max_tokens\": 3}")
                    .expect(200);
        }
    }

    @Test
    void whatTheServiceWritesForTenantsOnlyItsOwnUserCanRead() throws Exception {
        Path data = dir.resolve("data");
        try (RunningService service = RunningService.start(data, null)) {
            String file = service.uploadFile(SyntheticData.reversal(dir.resolve("train.jsonl"), 16, 1), "fine-tune");
            String job = service.createJob("""
                    {"model": "lm-tiny", "training_file": "%s",
                    "hyperparameters": {"max_steps": 2}}""".formatted(file));
            JsonNode done = service.awaitJob(job, status("succeeded", "failed"), JOB_TIMEOUT);
            assertThat(done.get("status").asString()).as(done.toString()).isEqualTo("succeeded");
            service.post(
                            "/v1/models/" + done.get("fine_tuned_model").asString() + "/completions",
                            "{\"prompt\": \"abc\", \"max_tokens\": 3}")
                    .expect(200);

            Path artifacts = data.resolve("artifacts");
            Path stored = fileDirectory(artifacts, file).resolve(file);
            List<Path> directories = List.of(
                    artifacts,
                    stored.getParent(),
                    artifacts.resolve("models"),
                    artifacts.resolve("jobs/" + job + "/checkpoints"),
                    data.resolve("work"),
                    data.resolve("cache/models"),
                    data.resolve("cache/models/" + job));
            for (Path d : directories) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(d)))
                        .as(d.toString())
                        .isEqualTo("rwx------");
            }
            List<Path> written;
            // not the store's root: a worker's writability probe comes and goes there
            try (Stream<Path> all = Stream.of(
                            stored.getParent(),
                            artifacts.resolve("models"),
                            artifacts.resolve("jobs"),
                            data.resolve("cache/models"))
                    .flatMap(LeftoversTest::walk)) {
                written = all.filter(Files::isRegularFile).toList();
            }
            assertThat(written)
                    .contains(
                            stored,
                            stored.resolveSibling(file + ".sha256"),
                            data.resolve("cache/models/" + job + "/model.params"));
            for (Path f : written) {
                assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(f)))
                        .as(f.toString())
                        .isEqualTo("rw-------");
            }
        }
    }

    /** The folder an uploaded file's artifact is in ({@code tenants/<tenant>/files}). */
    private static Path fileDirectory(Path artifacts, String fileId) {
        try (Stream<Path> all = walk(artifacts.resolve("tenants"))) {
            return all.filter(p -> p.getFileName().toString().equals(fileId))
                    .findFirst()
                    .orElseThrow()
                    .getParent();
        }
    }

    private static Stream<Path> walk(Path root) {
        return Trees.walk(root).stream();
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
