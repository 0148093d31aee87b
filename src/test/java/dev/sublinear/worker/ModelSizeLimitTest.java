package dev.sublinear.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import com.zaxxer.hikari.HikariDataSource;
import dev.sublinear.jobs.Inference;
import dev.sublinear.jobs.InferenceProperties;
import dev.sublinear.jobs.JobRecord;
import dev.sublinear.jobs.JobSettings;
import dev.sublinear.jobs.JobStatus;
import dev.sublinear.jobs.JobStore;
import dev.sublinear.jobs.JobsProperties;
import dev.sublinear.jobs.LocalDirectories;
import dev.sublinear.jobs.ModelRecord;
import dev.sublinear.jobs.ModelService;
import dev.sublinear.jobs.ModelStore;
import dev.sublinear.storage.ArtifactStore;
import dev.sublinear.storage.ArtifactTooLargeException;
import dev.sublinear.storage.FileSystemArtifactStore;
import dev.sublinear.testing.TestDatabases;
import dev.sublinear.training.data.TaskType;
import dev.sublinear.training.model.LoadedModel;
import dev.sublinear.training.model.ModelArchive;
import dev.sublinear.training.model.ModelCatalog;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.jdbc.core.simple.JdbcClient;
import tools.jackson.databind.json.JsonMapper;

/**
 * One model-size limit, {@code sublinear.jobs.max-model-bytes}, counted the same way on both sides:
 * a model a worker stores is one inference unpacks, and a model one byte past the limit is refused by
 * both. Checked with a limit the size of lm-tiny, so no file of gigabytes is written.
 */
class ModelSizeLimitTest {

    private static final String TENANT = "acme";

    @TempDir
    Path dir;

    private HikariDataSource database;
    private ModelStore models;
    private JobStore jobs;
    private ArtifactStore artifacts;
    private Inference inference;

    @BeforeEach
    void setUp() throws Exception {
        database = TestDatabases.h2().migratedDataSource();
        JdbcClient jdbc = JdbcClient.create(database);
        models = new ModelStore(jdbc);
        jobs = new JobStore(jdbc, JsonMapper.builder().build());
        artifacts = new FileSystemArtifactStore(dir.resolve("artifacts"));
        inference = new Inference(new InferenceProperties(2, 2, Duration.ofMinutes(1)), new SimpleMeterRegistry());
    }

    @AfterEach
    void tearDown() {
        inference.close();
        database.close();
    }

    @Test
    void theDefaultTakesEveryModelWorkersStoredBefore() {
        JobsProperties defaults = new Binder(new MapConfigurationPropertySource())
                .bindOrCreate("sublinear.jobs", JobsProperties.class);
        // workers stored models of up to 16 GiB while inference unpacked at most 8 GiB of one
        assertThat(defaults.maxModelBytes()).isEqualTo(16L << 30);
    }

    @Test
    void aModelTheWorkerStoresInferenceLoadsAndOneBytePastTheLimitNeither() throws Exception {
        Path output = dir.resolve("output");
        try (LoadedModel model = LoadedModel.create(ModelCatalog.get("lm-tiny", List.of()).orElseThrow(), 1,
                Device.cpu())) {
            model.save(output);
        }
        long size = ModelArchive.unpackedBytes(output);

        // at the limit: stored by the worker, loaded by inference
        ModelRecord stored = worker(size).registerModel(job("ftjob-at"), output, "claim");
        ModelService atLimit = inference(size, "models-at");
        String completion = atLimit.complete(TENANT, stored.id(), "ab", 2, 0f, 1).result().get(2, TimeUnit.MINUTES);
        assertThat(completion).isNotNull();

        // one byte short: the worker stores nothing, inference unpacks nothing of the model stored above
        assertThatThrownBy(() -> worker(size - 1).registerModel(job("ftjob-past"), output, "claim"))
                .isInstanceOf(ArtifactTooLargeException.class);
        assertThat(artifacts.list("models/")).extracting(a -> a.key()).containsExactly(stored.artifactKey());
        assertThatThrownBy(() -> inference(size - 1, "models-past").complete(TENANT, stored.id(), "ab", 2, 0f, 1)
                .result().get(2, TimeUnit.MINUTES))
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(ModelArchive.InvalidArchiveException.class)
                .hasMessageContaining("more than the allowed");

        atLimit.delete(TENANT, stored.id()); // frees the loaded model
    }

    private JobRunner worker(long maxModelBytes) {
        return new JobRunner(null, null, null, null, models, null, null, artifacts,
                new LocalDirectories(dir.resolve("work"), dir.resolve("models")), Clock.systemUTC(),
                properties(maxModelBytes));
    }

    private ModelService inference(long maxModelBytes, String unpackInto) {
        return new ModelService(models, jobs, artifacts, new LocalDirectories(dir.resolve("work"), dir.resolve(unpackInto)),
                inference, properties(maxModelBytes));
    }

    private static JobsProperties properties(long maxModelBytes) {
        Duration any = Duration.ofMinutes(1);
        return new JobsProperties(1L << 30, 3, 500, any, any, any, any, maxModelBytes);
    }

    private static JobRecord job(String id) {
        JobSettings settings = new JobSettings(
                new JobSettings.Hyperparameters(1, 8, null, 0, 0, 1, 0, 100),
                new JobSettings.Optimizer("adafactor", 0, null, 0.8, 1, true, true, false, 1e-30, 1e-3, true, 1, 0),
                1, "limit", Map.of());
        return new JobRecord(id, TENANT, "lm-tiny", "file-x", null, TaskType.CAUSAL_LM, settings, 0, 0,
                JobStatus.RUNNING, null, null, null, 1, 3, null, 0, 0, null, 0, null, null, null, null, null, null,
                null, null, 0, null, null);
    }
}
