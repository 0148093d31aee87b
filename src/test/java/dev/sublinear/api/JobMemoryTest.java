package dev.sublinear.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.sublinear.testing.RunningService;
import dev.sublinear.training.SyntheticData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * One tenant's job must not take the service down by memory: refused at creation when its estimate
 * passes every worker's budget, failed as the user's error when it passes its worker's budget while
 * running. (The lease reaper's part, a worker that died at its job's budget, is in JobQueueTest.)
 */
class JobMemoryTest {

    @TempDir
    Path dir;

    @Test
    void theIssuesJobIsRefusedAtCreationNamingTheBatchSize() throws Exception {
        // the issue's attack at a bounded scale: lm-small on 1,100 lines, 1,024 examples a
        // micro-batch and 1,024 micro-batches a step, against a worker granting a job 4 GB
        try (RunningService service =
                RunningService.start(dir.resolve("data"), null, "--sublinear.worker.memory-budget=4GB")) {
            String file = service.uploadFile(longExamples(dir.resolve("attack.jsonl"), 1100, 5), "fine-tune");

            RunningService.Response refused = service.post("/v1/fine_tuning/jobs", """
                    {"model": "lm-small", "training_file": "%s",
                     "hyperparameters": {"batch_size": 1024, "gradient_accumulation": 1024}}""".formatted(file));
            assertThat(refused.status()).as(refused.body()).isEqualTo(400);
            assertThat(refused.contentType()).startsWith("application/problem+json");
            JsonNode problem = refused.json();
            assertThat(problem.get("code").asString()).isEqualTo("invalid_request");
            assertThat(problem.get("param").asString()).isEqualTo("hyperparameters.batch_size");
            // the estimate (tens of GiB: 1,024 x 102 tokens through 6 layers), the budget, and what fits
            String detail = problem.get("detail").asString();
            assertThat(detail)
                    .contains(
                            "GiB of memory",
                            "1024 example(s) of up to 102 tokens",
                            "memory budget for a job, 4.0 GiB",
                            "a batch_size of at most");
            assertThat(Integer.parseInt(detail.replaceAll(".*batch_size of at most (\\d+) .*", "$1")))
                    .isBetween(16, 1023);
            assertThat(service.get("/v1/fine_tuning/jobs").expect(200).json().get("data"))
                    .isEmpty();

            // a job that fits is taken, and runs (one example a micro-batch, one step, to stay quick)
            String job = service.createJob("""
                    {"model": "lm-small", "training_file": "%s",
                     "hyperparameters": {"batch_size": 1, "max_steps": 1}}""".formatted(file));
            assertThat(service.awaitJob(job, RunningService.status("succeeded", "failed"), Duration.ofSeconds(240))
                            .get("status")
                            .asString())
                    .isEqualTo("succeeded");
        }
    }

    @Test
    void anAutoBatchSizeIsShrunkToWhatFitsAndAGivenOneIsRefusedWhereTheRequestPutIt() throws Exception {
        // lm-small on 102-token examples (about 28 MiB of activations each, 170 MiB for the rest)
        // against a budget where a micro-batch of 8, the smallest batch_size "auto" picks by the
        // data's size, does not fit and one of 5 does
        try (RunningService service =
                RunningService.start(dir.resolve("data"), null, "--sublinear.worker.memory-budget=330MB")) {
            String file = service.uploadFile(longExamples(dir.resolve("long.jsonl"), 200, 6), "fine-tune");

            String create = """
                    {"model": "lm-small", "training_file": "%s",
                     "method": {"type": "supervised", "supervised": {"hyperparameters": {%s}}}}""";
            RunningService.Response given =
                    service.post("/v1/fine_tuning/jobs", create.formatted(file, "\"batch_size\": 8"));
            assertThat(given.status()).as(given.body()).isEqualTo(400);
            JsonNode problem = given.json();
            assertThat(problem.get("param").asString()).isEqualTo("method.supervised.hyperparameters.batch_size");
            int fits = Integer.parseInt(
                    problem.get("detail").asString().replaceAll(".*batch_size of at most (\\d+) .*", "$1"));
            assertThat(fits).isBetween(1, 7);

            for (String auto : List.of("\"batch_size\": \"auto\"", "\"n_epochs\": 1")) {
                RunningService.Response created = service.post("/v1/fine_tuning/jobs", create.formatted(file, auto));
                assertThat(created.status()).as(created.body()).isEqualTo(201);
                JsonNode job = created.json();
                assertThat(job.get("hyperparameters").get("batch_size").asInt()).isEqualTo(fits);
                assertThat(job.get("method")
                                .get("supervised")
                                .get("hyperparameters")
                                .get("batch_size")
                                .asInt())
                        .isEqualTo(fits);
                service.post("/v1/fine_tuning/jobs/" + job.get("id").asString() + "/cancel", "")
                        .expect(200);
            }
        }
    }

    @Test
    void aJobOverItsBudgetWhileRunningFailsAsTheUsersErrorAndTheServiceKeepsServing() throws Exception {
        try (RunningService service =
                RunningService.start(dir.resolve("data"), null, "--sublinear.worker.memory-budget=256MB")) {
            String file = service.uploadFile(SyntheticData.reversal(dir.resolve("t.jsonl"), 48, 1), "fine-tune");
            // estimated at a few tens of MiB: accepted by a worker granting 256 MiB
            String job = service.createJob("""
                    {"model": "lm-tiny", "training_file": "%s", "hyperparameters": {"n_epochs": 1000, "batch_size": 4,
                     "checkpoint_interval_steps": 0}}""".formatted(file));
            service.awaitJob(job, j -> j.get("progress").get("step").asInt() >= 3, Duration.ofSeconds(120));

            // A scale model of a job outgrowing its estimate: the guard measures the worker process's
            // resident memory, which this test (the same process) grows by 64 MiB, touched, every
            // quarter second, up to 768 MiB. (Growing, not one step: should a loaded machine cost
            // the attempt its lease, the next attempt counts from a baseline taken after the first step.)
            List<ByteBuffer> grown = new ArrayList<>();
            JsonNode failed = null;
            try {
                long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
                while (failed == null && System.nanoTime() < deadline) {
                    if (grown.size() < 12) {
                        grown.add(ByteBuffer.allocateDirect(64 << 20));
                    }
                    JsonNode now = service.get("/v1/fine_tuning/jobs/" + job)
                            .expect(200)
                            .json();
                    if (RunningService.status("failed", "succeeded", "cancelled")
                            .test(now)) {
                        failed = now;
                    }
                    RunningService.sleep(250);
                }
            } finally {
                grown.clear();
            }
            assertThat(failed).as("the job ended").isNotNull();
            assertThat(failed.get("status").asString()).isEqualTo("failed");
            JsonNode error = failed.get("error");
            assertThat(error.get("code").asString()).isEqualTo("out_of_memory");
            assertThat(error.get("param").asString()).isEqualTo("hyperparameters.batch_size");
            assertThat(error.get("message").asString())
                    .contains("more than its memory budget of 256 MiB", "use a smaller batch_size");

            // the service goes on: health, reads, and the worker trains the next job
            service.get("/actuator/health").expect(200);
            service.get("/v1/fine_tuning/jobs/" + job + "/events").expect(200);
            String next = service.createJob("""
                    {"model": "lm-tiny", "training_file": "%s",
                    "hyperparameters": {"batch_size": 4, "max_steps": 3}}""".formatted(file));
            assertThat(service.awaitJob(next, RunningService.status("succeeded", "failed"), Duration.ofSeconds(120))
                            .get("status")
                            .asString())
                    .isEqualTo("succeeded");
        }
    }

    /** {@code count} rows of a 40-letter prompt and a 60-letter completion: 102 tokens each. */
    private static Path longExamples(Path file, int count, long seed) throws IOException {
        Random random = new Random(seed);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            lines.add("{\"prompt\": \"" + letters(random, 40) + "\", \"completion\": \"" + letters(random, 60) + "\"}");
        }
        return Files.write(file, lines);
    }

    private static String letters(Random random, int n) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < n; i++) {
            s.append((char) ('a' + random.nextInt(26)));
        }
        return s.toString();
    }
}
