package dev.sublinear.jobs.models;

import static dev.sublinear.testing.RunningService.status;
import static org.assertj.core.api.Assertions.assertThat;

import dev.sublinear.testing.RunningService;
import dev.sublinear.training.SyntheticData;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.JsonNode;

/** Deleting a fine-tuned model removes its weights everywhere: archive, unpacked copy and the loaded cache. */
class ModelDeletionTest {

    @TempDir
    Path dir;

    @Test
    void aDeletedModelsWeightsLeaveTheDiskAndTheCache() throws Exception {
        Path data = dir.resolve("data");
        try (RunningService service = RunningService.start(data, null)) {
            String file = service.uploadFile(SyntheticData.reversal(dir.resolve("train.jsonl"), 16, 1), "fine-tune");
            String job = service.createJob("""
                    {"model": "lm-tiny", "training_file": "%s",
                    "hyperparameters": {"max_steps": 2}}""".formatted(file));
            JsonNode done = service.awaitJob(job, status("succeeded", "failed"), Duration.ofSeconds(180));
            assertThat(done.get("status").asString()).as(done.toString()).isEqualTo("succeeded");
            String model = done.get("fine_tuned_model").asString();
            service.post("/v1/models/" + model + "/completions", "{\"prompt\": \"abc\", \"max_tokens\": 3}")
                    .expect(200);

            JdbcClient jdbc = service.context().getBean(JdbcClient.class);
            String tenant = jdbc.sql("SELECT tenant_id FROM models WHERE id = ?")
                    .param(model)
                    .query(String.class)
                    .single();
            String key = jdbc.sql("SELECT artifact_key FROM models WHERE id = ?")
                    .param(model)
                    .query(String.class)
                    .single();
            Path archive = data.resolve("artifacts").resolve(key);
            Path unpacked = data.resolve("cache/models").resolve(job);
            ModelService models = service.context().getBean(ModelService.class);
            assertThat(archive).exists();
            assertThat(unpacked.resolve("model.params")).exists();
            assertThat(models.cached(tenant, model)).isTrue();

            service.delete("/v1/models/" + model).expect(200);
            assertThat(archive).doesNotExist();
            assertThat(unpacked).doesNotExist();
            assertThat(models.cached(tenant, model)).isFalse();
            service.post("/v1/models/" + model + "/completions", "{\"prompt\": \"abc\", \"max_tokens\": 3}")
                    .expect(404);
        }
    }
}
