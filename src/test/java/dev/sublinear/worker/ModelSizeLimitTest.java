package dev.sublinear.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import dev.sublinear.jobs.JobRecord;
import dev.sublinear.jobs.JobSettings;
import dev.sublinear.jobs.common.JobsProperties;
import dev.sublinear.jobs.common.LocalDirectories;
import dev.sublinear.optimizer.AdafactorOptions;
import dev.sublinear.storage.ArtifactStore;
import dev.sublinear.storage.ArtifactTooLargeException;
import dev.sublinear.storage.FileSystemArtifactStore;
import dev.sublinear.training.data.TaskType;
import dev.sublinear.training.model.LoadedModel;
import dev.sublinear.training.model.ModelArchive;
import dev.sublinear.training.model.ModelCatalog;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;

/**
 * The worker's side of the one model-size limit ({@code sublinear.jobs.max-model-bytes}), counted
 * unpacked as inference counts it ({@code jobs.models.InferenceSizeLimitTest}): a model at the limit
 * is stored, one byte past it is not. Checked with a limit the size of lm-tiny, so no file of
 * gigabytes is written.
 */
class ModelSizeLimitTest {

    @TempDir
    Path dir;

    private ArtifactStore artifacts;

    @BeforeEach
    void setUp() throws Exception {
        artifacts = new FileSystemArtifactStore(dir.resolve("artifacts"));
    }

    @Test
    void theDefaultTakesEveryModelWorkersStoredBefore() {
        JobsProperties defaults =
                new Binder(new MapConfigurationPropertySource()).bindOrCreate("sublinear.jobs", JobsProperties.class);
        // workers stored models of up to 16 GiB while inference unpacked at most 8 GiB of one
        assertThat(defaults.maxModelBytes()).isEqualTo(16L << 30);
    }

    @Test
    void aModelAtTheLimitIsStoredAndOneBytePastItIsNot() throws Exception {
        Path output = dir.resolve("output");
        try (LoadedModel model =
                LoadedModel.create(ModelCatalog.get("lm-tiny", List.of()).orElseThrow(), 1, Device.cpu())) {
            model.save(output);
        }
        long size = ModelArchive.unpackedBytes(output);

        JobRunner.StoredModel stored = worker(size).storeModel(job("ftjob-at"), output, "claim");
        assertThatThrownBy(() -> worker(size - 1).storeModel(job("ftjob-past"), output, "claim"))
                .isInstanceOf(ArtifactTooLargeException.class);
        assertThat(artifacts.list("models/")).extracting(a -> a.key()).containsExactly(stored.artifactKey());
    }

    private JobRunner worker(long maxModelBytes) {
        return new JobRunner(
                artifacts, new LocalDirectories(dir.resolve("work"), dir.resolve("models")), properties(maxModelBytes));
    }

    private static JobsProperties properties(long maxModelBytes) {
        Duration any = Duration.ofMinutes(1);
        return new JobsProperties(1L << 30, 3, 500, any, any, any, any, Duration.ofDays(1), maxModelBytes);
    }

    private static JobRecord job(String id) {
        JobSettings settings = new JobSettings(
                new JobSettings.Hyperparameters(1, 8, null, 0, 0, 1, 0, 100, null),
                new JobSettings.Optimizer("adafactor", AdafactorOptions.defaults()),
                1,
                "limit",
                Map.of());
        return JobRecord.queued(id, "acme", "lm-tiny", "file-x", null, TaskType.CAUSAL_LM, settings, 0, 0, 3, 0);
    }
}
