package dev.sublinear.jobs.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import com.zaxxer.hikari.HikariDataSource;
import dev.sublinear.jobs.JobStore;
import dev.sublinear.jobs.common.JobsProperties;
import dev.sublinear.jobs.common.LocalDirectories;
import dev.sublinear.storage.ArtifactStore;
import dev.sublinear.storage.FileSystemArtifactStore;
import dev.sublinear.testing.TestDatabases;
import dev.sublinear.training.data.TaskType;
import dev.sublinear.training.model.LoadedModel;
import dev.sublinear.training.model.ModelArchive;
import dev.sublinear.training.model.ModelCatalog;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.jdbc.core.simple.JdbcClient;
import org.springframework.util.unit.DataSize;
import tools.jackson.databind.json.JsonMapper;

/**
 * Inference's side of the one model-size limit ({@code sublinear.jobs.max-model-bytes}): a model
 * whose unpacked files take exactly the limit loads, one byte less refuses it. The worker's side,
 * counted the same way ({@link ModelArchive#unpackedBytes}), is {@code worker.ModelSizeLimitTest}.
 */
class InferenceSizeLimitTest {

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
        inference = new Inference(
                new InferenceProperties(2, 2, Duration.ofMinutes(1), DataSize.ofGigabytes(4), 8192),
                new SimpleMeterRegistry());
    }

    @AfterEach
    void tearDown() {
        inference.close();
        database.close();
    }

    @Test
    void aModelAtTheLimitLoadsAndOneBytePastItDoesNot() throws Exception {
        Path output = dir.resolve("output");
        try (LoadedModel model =
                LoadedModel.create(ModelCatalog.get("lm-tiny", List.of()).orElseThrow(), 1, Device.cpu())) {
            model.save(output);
        }
        long size = ModelArchive.unpackedBytes(output);
        Path archive = dir.resolve("model.zip");
        try (OutputStream out = Files.newOutputStream(archive)) {
            ModelArchive.write(output, out);
        }
        String key = "models/ftjob-limit-claim.zip";
        try (InputStream in = Files.newInputStream(archive)) {
            artifacts.put(key, in, Long.MAX_VALUE);
        }
        ModelRecord stored = new ModelRecord(
                "ft:lm-tiny:limit:ftjob-limit",
                TENANT,
                "lm-tiny",
                "ftjob-limit",
                TaskType.CAUSAL_LM,
                key,
                Files.size(archive),
                0);
        models.insert(stored);

        ModelService atLimit = inference(size, "models-at");
        String completion =
                atLimit.complete(TENANT, stored.id(), "ab", 2, 0f, 1).result().get(2, TimeUnit.MINUTES);
        assertThat(completion).isNotNull();
        assertThatThrownBy(() -> inference(size - 1, "models-past")
                        .complete(TENANT, stored.id(), "ab", 2, 0f, 1)
                        .result()
                        .get(2, TimeUnit.MINUTES))
                .isInstanceOf(ExecutionException.class)
                .hasCauseInstanceOf(ModelArchive.InvalidArchiveException.class)
                .hasMessageContaining("unpack to more than");
        atLimit.delete(TENANT, stored.id()); // frees the loaded model
    }

    private ModelService inference(long maxModelBytes, String unpackInto) {
        return new ModelService(
                models,
                jobs,
                artifacts,
                new LocalDirectories(dir.resolve("work"), dir.resolve(unpackInto)),
                inference,
                properties(maxModelBytes),
                new InferenceProperties(2, 2, Duration.ofMinutes(1), DataSize.ofGigabytes(4), 8192),
                new SystemModels(new ModelsProperties(null)));
    }

    private static JobsProperties properties(long maxModelBytes) {
        Duration any = Duration.ofMinutes(1);
        return new JobsProperties(1L << 30, 3, 500, any, any, any, any, Duration.ofDays(1), maxModelBytes);
    }
}
