package dev.sublinear.training.run;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import dev.sublinear.optimizer.Adafactor;
import dev.sublinear.training.data.ByteTokenizer;
import dev.sublinear.training.data.DatasetReader;
import dev.sublinear.training.data.TaskType;
import dev.sublinear.training.data.TrainingData;
import dev.sublinear.training.model.LoadedModel;
import dev.sublinear.training.model.ModelCatalog;
import dev.sublinear.training.model.ModelConfig;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The memory estimate a job is refused by: its parts against the real model and the real settings. */
class MemoryEstimateTest {

    @Test
    void theParametersCountedAreTheModelsOwn() {
        for (String name : List.of("lm-tiny", "cls-tiny", "lm-small")) {
            ModelConfig config =
                    ModelCatalog.get(name, List.of("yes", "no", "maybe")).orElseThrow();
            List<List<Long>> built = new ArrayList<>();
            try (LoadedModel model = LoadedModel.create(config, 1, Device.cpu())) {
                model.block()
                        .getParameters()
                        .values()
                        .forEach(p ->
                                built.add(Arrays.stream(p.getArray().getShape().getShape())
                                        .boxed()
                                        .toList()));
            }
            List<List<Long>> estimated = MemoryEstimate.parameterShapes(config).stream()
                    .map(s -> Arrays.stream(s).boxed().toList())
                    .toList();
            assertThat(estimated).as(name).containsExactlyInAnyOrderElementsOf(built);
        }
    }

    @Test
    void adafactorsFactoredStateIsAFractionOfAdamsTwoMoments() {
        ModelConfig small = ModelCatalog.get("lm-small", List.of()).orElseThrow();
        MemoryEstimate adafactor = MemoryEstimate.of(small, OptimizerConfig.adafactor(), 8, 64, 0);
        MemoryEstimate adam = MemoryEstimate.of(small, OptimizerConfig.adam(1e-3f), 8, 64, 0);
        assertThat(adam.optimizerBytes()).isEqualTo(2 * adam.parameterBytes());
        // row and column sums and the vectors' full moments, plus the step's temporaries: a batch of
        // grouped parameters' weights, gradients and squared gradients, three float32 arrays
        long temporaries = 3L * Float.BYTES * Adafactor.BATCH_ELEMENTS;
        assertThat(adafactor.optimizerBytes() - temporaries).isLessThan(adam.parameterBytes() / 10);
        MemoryEstimate withMomentum =
                MemoryEstimate.of(small, OptimizerConfig.adafactor().withOptions(b -> b.optBeta1(0.9f)), 8, 64, 0);
        assertThat(withMomentum.optimizerBytes() - adafactor.optimizerBytes()).isEqualTo(adafactor.parameterBytes());
        MemoryEstimate unfactored =
                MemoryEstimate.of(small, OptimizerConfig.adafactor().withOptions(b -> b.optFactored(false)), 8, 64, 0);
        assertThat(unfactored.optimizerBytes()).isGreaterThan(adafactor.parameterBytes());
    }

    @Test
    void theIssuesJobNeedsTensOfGibibytesAndGradientAccumulationAddsNothing() throws Exception {
        ModelConfig small = ModelCatalog.get("lm-small", List.of()).orElseThrow();
        TrainingData data = lines(1100, 100);
        MemoryEstimate issue = MemoryEstimate.of(
                small, OptimizerConfig.adafactor(), new TrainingPlan(3, 1024, 0, 1024, 0, 0, 3), data, 1);
        MemoryEstimate noAccumulation = MemoryEstimate.of(
                small, OptimizerConfig.adafactor(), new TrainingPlan(3, 1024, 0, 1, 0, 0, 3), data, 1);
        // the training loop frees each micro-batch's activations after its backward pass
        assertThat(issue).isEqualTo(noAccumulation);
        assertThat(issue.rows()).isEqualTo(1024);
        assertThat(issue.length()).isEqualTo(101); // BOS + 100 bytes; the target is shifted by one
        assertThat(issue.totalBytes()).isGreaterThan(20L << 30);
        assertThat(issue.activationBytes()).isGreaterThan(issue.fixedBytes() * 50);
        // activations grow with the rows: the largest batch that fits a budget is exact
        int rows = issue.rowsWithin(2L << 30);
        assertThat(MemoryEstimate.of(small, OptimizerConfig.adafactor(), rows, 101, issue.dataBytes())
                        .totalBytes())
                .isLessThanOrEqualTo(2L << 30);
        assertThat(MemoryEstimate.of(small, OptimizerConfig.adafactor(), rows + 1, 101, issue.dataBytes())
                        .totalBytes())
                .isGreaterThan(2L << 30);
        // several devices each hold the model and their share of the micro-batch
        MemoryEstimate two = MemoryEstimate.of(
                small, OptimizerConfig.adafactor(), new TrainingPlan(3, 1024, 0, 1, 0, 0, 3), data, 2);
        assertThat(two.rows()).isEqualTo(512);
        assertThat(two.parameterBytes()).isEqualTo(issue.parameterBytes());
    }

    @Test
    void aSmallBatchOfASmallFileIsTensOfMebibytes() throws Exception {
        ModelConfig tiny = ModelCatalog.get("lm-tiny", List.of()).orElseThrow();
        MemoryEstimate e = MemoryEstimate.of(
                tiny, OptimizerConfig.adafactor(), new TrainingPlan(3, 8, 0, 1, 0, 0, 3), lines(40, 30), 1);
        assertThat(e.rows()).isEqualTo(8);
        assertThat(e.totalBytes()).isBetween(10L << 20, 100L << 20);
    }

    @Test
    void anUploadedModelsHugeSizesSaturateInsteadOfWrappingAround() {
        ModelConfig absurd = new ModelConfig(
                TaskType.CAUSAL_LM,
                ByteTokenizer.TYPE,
                Integer.MAX_VALUE,
                1 << 30,
                Integer.MAX_VALUE,
                Integer.MAX_VALUE - 1,
                2,
                Integer.MAX_VALUE,
                List.of());
        MemoryEstimate e = MemoryEstimate.of(absurd, OptimizerConfig.adam(1e-3f), 1024, 1 << 20, 0);
        assertThat(e.totalBytes()).isGreaterThan(1L << 60);
    }

    /** {@code count} text lines of {@code length} letters, read as a job's file is. */
    private static TrainingData lines(int count, int length) throws Exception {
        StringBuilder file = new StringBuilder();
        for (int i = 0; i < count; i++) {
            file.append("{\"text\": \"")
                    .append("abcdefghij".repeat(length / 10))
                    .append("\"}\n");
        }
        return new DatasetReader(TaskType.CAUSAL_LM, new ByteTokenizer(), 256, 2)
                .read(new ByteArrayInputStream(file.toString().getBytes(StandardCharsets.UTF_8)), null);
    }
}
