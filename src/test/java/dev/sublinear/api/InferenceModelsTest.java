package dev.sublinear.api;

import static dev.sublinear.testing.RunningService.status;
import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.sublinear.jobs.models.ModelService;
import dev.sublinear.testing.RunningService;
import dev.sublinear.testing.TinyHfModels;
import dev.sublinear.training.SyntheticData;
import dev.sublinear.training.model.LoadedModel;
import dev.sublinear.training.weights.WeightType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The OpenAI-compatible endpoints take every kind of model a tenant may use, fine-tuned models and
 * checkpoints included, and keep loaded models within {@code sublinear.inference.model-cache-bytes}:
 * a model that does not fit evicts the least recently used one, and a model larger than the whole
 * budget is refused (507 naming the setting).
 */
class InferenceModelsTest {

    private static final String COMPLETE =
            "{\"model\": \"%s\", \"prompt\": \"the\", \"max_tokens\": 4, \"temperature\": 0}";

    @TempDir
    Path dir;

    @Test
    void fineTunedModelsAndCheckpointsAnswerAndTheCacheKeepsToItsBytes() throws Exception {
        Path models = Files.createDirectories(dir.resolve("models"));
        Path gpt2 = TinyHfModels.gpt2(models.resolve("tiny-gpt2"), WeightType.F32, 31);
        Path llama = TinyHfModels.llama(models.resolve("tiny-llama"), "llama", WeightType.F32, 32);
        long gpt2Bytes = floatBytes(gpt2);
        long llamaBytes = floatBytes(llama);
        // room for either model, never both
        long budget = Math.max(gpt2Bytes, llamaBytes) + Math.min(gpt2Bytes, llamaBytes) / 2;
        try (RunningService service = RunningService.start(
                dir.resolve("data"),
                null,
                "--sublinear.models.dir=" + models,
                "--sublinear.inference.model-cache-bytes=" + budget)) {
            ModelService cache = service.context().getBean(ModelService.class);

            String training =
                    service.uploadFile(SyntheticData.reversal(dir.resolve("train.jsonl"), 32, 1), "fine-tune");
            String body = """
                    {"model": "tiny-gpt2", "training_file": "%s", "suffix": "oa",
                     "hyperparameters": {"n_epochs": 1, "batch_size": 8, "checkpoint_interval_steps": 2}}""";
            String jobId = service.createJob(body.formatted(training));
            JsonNode job = service.awaitJob(jobId, status("succeeded", "failed", "cancelled"), Duration.ofSeconds(180));
            assertThat(job.get("status").asString()).as(job.toString()).isEqualTo("succeeded");
            String fineTuned = job.get("fine_tuned_model").asString();
            String checkpoint = service.get("/v1/fine_tuning/jobs/" + jobId + "/checkpoints")
                    .expect(200)
                    .json()
                    .get("data")
                    .get(0)
                    .get("id")
                    .asString();
            assertThat(checkpoint).startsWith("ftckpt-");
            for (String model : new String[] {fineTuned, checkpoint}) {
                JsonNode c = service.post("/v1/completions", COMPLETE.formatted(model))
                        .expect(200)
                        .json();
                assertThat(c.get("model").asString()).isEqualTo(model);
                assertThat(c.get("usage").get("completion_tokens").asInt()).isBetween(1, 4);
            }
            // the older endpoint answers for the fine-tuned model as before
            service.post("/v1/models/" + fineTuned + "/completions", "{\"prompt\": \"the\", \"max_tokens\": 2}")
                    .expect(200);

            service.post("/v1/completions", COMPLETE.formatted("tiny-gpt2")).expect(200);
            assertThat(cache.cachedKeys()).hasSize(1).allMatch(k -> k.endsWith("/tiny-gpt2"));
            service.post("/v1/completions", COMPLETE.formatted("tiny-llama")).expect(200);
            assertThat(cache.cachedKeys()).as("tiny-gpt2 evicted").hasSize(1).allMatch(k -> k.endsWith("/tiny-llama"));

            // lm-small (11M parameters) is larger than the whole budget
            JsonNode tooLarge = service.post("/v1/completions", COMPLETE.formatted("lm-small"))
                    .expect(507)
                    .json();
            assertThat(tooLarge.get("code").asString()).isEqualTo("model_too_large");
            assertThat(tooLarge.get("param").asString()).isEqualTo("model");
            assertThat(tooLarge.get("detail").asString()).contains("sublinear.inference.model-cache-bytes");
            assertThat(cache.cachedKeys()).as("what was cached stays").hasSize(1);
        }
    }

    /** A model's parameters as float32, as inference loads them. */
    private static long floatBytes(Path model) throws Exception {
        try (LoadedModel m = LoadedModel.load(model, Device.cpu())) {
            return m.parameterCount() * 4;
        }
    }
}
