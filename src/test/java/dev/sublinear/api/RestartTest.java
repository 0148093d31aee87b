package dev.sublinear.api;

import static dev.sublinear.testing.RunningService.status;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sublinear.testing.RunningService;
import dev.sublinear.training.SyntheticData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** Stopping and starting the embedded service (H2 file database) loses nothing, even mid-job. */
class RestartTest {

    @TempDir
    Path dir;

    @Test
    void aRestartMidJobLosesNothingAndTheJobFinishes() throws Exception {
        Path data = dir.resolve("data");
        Path training = SyntheticData.reversal(dir.resolve("train.jsonl"), 48, 1);
        String file;
        String finished;
        String job;
        String eventsBefore;
        int stepAtStop;
        JsonNode checkpointBefore;
        try (RunningService first = RunningService.start(data, null)) {
            file = first.uploadFile(training, "fine-tune");
            finished = first.createJob("""
                    {"model": "lm-tiny", "training_file": "%s",
                    "hyperparameters": {"max_steps": 3}}""".formatted(file));
            first.awaitStatus(finished, "succeeded", Duration.ofSeconds(120));
            job = first.createJob("""
                    {"model": "lm-tiny", "training_file": "%s",
                     "hyperparameters": {"n_epochs": 50, "batch_size": 4, "max_steps": 200,
                                         "checkpoint_interval_steps": 10}}""".formatted(file));
            first.awaitJob(job, j -> j.get("progress").get("step").asInt() >= 15, Duration.ofSeconds(120));
            eventsBefore = first.get("/v1/fine_tuning/jobs/" + job + "/events?limit=1000")
                    .json()
                    .get("data")
                    .toString();
            checkpointBefore = first.get("/v1/fine_tuning/jobs/" + finished + "/checkpoints")
                    .json()
                    .get("data")
                    .get(0);
        }
        try (RunningService second = RunningService.start(data, null)) {
            JsonNode stopped =
                    second.get("/v1/fine_tuning/jobs/" + job).expect(200).json();
            stepAtStop = stopped.get("progress").get("step").asInt();
            assertThat(stepAtStop).isBetween(15, 199);
            JsonNode done = second.awaitJob(job, status("succeeded", "failed"), Duration.ofSeconds(180));
            assertThat(done.get("status").asString()).as(done.toString()).isEqualTo("succeeded");
            assertThat(done.get("attempt").asInt()).isEqualTo(2);
            assertThat(done.get("progress").get("step").asInt()).isEqualTo(200);

            String events = second.get("/v1/fine_tuning/jobs/" + job + "/events?limit=1000")
                    .expect(200)
                    .body();
            // every event from before the restart is still there, in order, followed by the new ones
            assertThat(events).contains(eventsBefore.substring(1, eventsBefore.length() - 1));
            assertThat(events)
                    .contains("is stopping: job requeued at step", "Attempt 2 started", "resuming from step-");
            assertThat(second.get("/v1/fine_tuning/jobs/" + job + "/metrics?max_points=100000")
                            .json()
                            .get("data")
                            .size())
                    .isEqualTo(200);

            assertThat(second.download("/v1/files/" + file + "/content")).isEqualTo(Files.readAllBytes(training));
            assertThat(second.download("/v1/fine_tuning/jobs/" + finished + "/checkpoints/"
                            + checkpointBefore.get("id").asString() + "/content"))
                    .hasSize(checkpointBefore.get("bytes").asInt());
            JsonNode earlier =
                    second.get("/v1/fine_tuning/jobs/" + finished).expect(200).json();
            assertThat(earlier.get("status").asString()).isEqualTo("succeeded");
            second.post(
                            "/v1/models/" + earlier.get("fine_tuned_model").asString() + "/completions",
                            "{\"prompt\": \"abc\", \"max_tokens\": 3}")
                    .expect(200);
        }
    }
}
