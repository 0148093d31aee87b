package dev.sublinear.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.Device;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import dev.sublinear.testing.TinyHfModels;
import dev.sublinear.training.data.TaskType;
import dev.sublinear.training.model.LoadedModel;
import dev.sublinear.training.run.Checkpoint;
import dev.sublinear.training.run.DirectoryCheckpointStore;
import dev.sublinear.training.run.EvaluationReport;
import dev.sublinear.training.run.LearningRate;
import dev.sublinear.training.run.ModelSource;
import dev.sublinear.training.run.OptimizerConfig;
import dev.sublinear.training.run.RunControl;
import dev.sublinear.training.run.RunOutcome;
import dev.sublinear.training.run.StepReport;
import dev.sublinear.training.run.TrainingListener;
import dev.sublinear.training.run.TrainingPlan;
import dev.sublinear.training.run.TrainingRun;
import dev.sublinear.training.run.TrainingSpec;
import dev.sublinear.training.weights.SafetensorsReader;
import dev.sublinear.training.weights.TensorInfo;
import dev.sublinear.training.weights.WeightType;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Hugging Face models through the training layer: loaded, trained, checkpointed, resumed and saved back. */
class PretrainedTrainingTest {

    @TempDir
    Path dir;

    @Test
    void savedWithoutTrainingKeepsEveryTensorItsNameAndType() throws Exception {
        for (Path base : List.of(
                TinyHfModels.gpt2(dir.resolve("gpt2-bf16"), WeightType.BF16, 1),
                TinyHfModels.llama(dir.resolve("qwen3-f32"), "qwen3", WeightType.F32, 2),
                TinyHfModels.llama(dir.resolve("llama-f16"), "llama", WeightType.F16, 3))) {
            Path saved = dir.resolve(base.getFileName() + "-saved");
            try (LoadedModel model = LoadedModel.load(base, Device.cpu())) {
                model.save(saved);
            }
            assertSameTensors(base, saved);
            assertThat(saved.resolve("tokenizer.json")).hasSameBinaryContentAs(base.resolve("tokenizer.json"));
        }
    }

    @Test
    void pretrainedModelFineTunesAndComesBackInItsOwnFormat() throws Exception {
        Path base = TinyHfModels.gpt2(dir.resolve("base"), WeightType.BF16, 4);
        Path train = SyntheticData.reversal(dir.resolve("train.jsonl"), 200, 1);
        Path valid = SyntheticData.reversal(dir.resolve("valid.jsonl"), 24, 2);
        List<EvaluationReport> evaluations = new ArrayList<>();
        TrainingSpec spec =
                spec("tune", base, train, valid, new TrainingPlan(3, 16, 40, 1, 20, 0, 1), OptimizerConfig.adafactor());
        RunOutcome outcome = new TrainingRun(spec, new RunControl(), new TrainingListener() {
                    @Override
                    public void onEvaluation(EvaluationReport report) {
                        evaluations.add(report);
                    }
                })
                .run();
        assertEquals(RunOutcome.Status.COMPLETED, outcome.status());
        assertThat(evaluations.get(evaluations.size() - 1).validLoss())
                .as("validation loss after 40 steps, from %s", evaluations)
                .isLessThan(0.8f * evaluations.get(0).validLoss());
        Path output = spec.outputDirectory();
        try (SafetensorsReader before = SafetensorsReader.open(base);
                SafetensorsReader after = SafetensorsReader.open(output)) {
            assertEquals(before.names(), after.names());
            for (TensorInfo tensor : after.tensors()) {
                assertEquals(WeightType.BF16, tensor.type(), tensor.name() + ": bf16 in, bf16 out");
            }
            assertThat(after.readFloats("transformer.h.0.attn.c_attn.weight"))
                    .as("the weights moved")
                    .isNotEqualTo(before.readFloats("transformer.h.0.attn.c_attn.weight"));
            assertEquals("pt", after.metadata().get("format"));
        }
        try (LoadedModel tuned = LoadedModel.load(output, Device.cpu())) {
            assertThat(tuned.pretrained()).isNotNull();
            assertThat(tuned.generate("abc", 5, 0f, 0)).isNotNull();
        }
    }

    @Test
    void pausedAndResumedPretrainedRunEqualsUninterruptedRun() throws Exception {
        Path base = TinyHfModels.llama(dir.resolve("base"), "llama", WeightType.BF16, 5);
        Path train = SyntheticData.reversal(dir.resolve("train.jsonl"), 64, 1);
        TrainingPlan plan = new TrainingPlan(3, 8, 10, 1, 0, 0, 3);
        OptimizerConfig optimizer =
                OptimizerConfig.adafactor().withLearningRate(new LearningRate(LearningRate.Schedule.LINEAR, 1e-3f, 2));
        TrainingSpec straightSpec = spec("straight", base, train, null, plan, optimizer);
        RunOutcome straight = run(straightSpec, new RunControl(), r -> {});
        RunControl control = new RunControl();
        TrainingSpec interrupted = spec("interrupted", base, train, null, plan, optimizer);
        RunOutcome first = run(interrupted, control, r -> {
            if (r.progress().step() == 5) {
                control.pause();
            }
        });
        assertEquals(RunOutcome.Status.PAUSED, first.status());
        RunOutcome resumed = run(interrupted.resumingFrom(first.lastCheckpoint()), new RunControl(), r -> {});
        assertEquals(RunOutcome.Status.COMPLETED, resumed.status());
        Map<String, float[]> expected = parameters(straightSpec, straight.lastCheckpoint());
        Map<String, float[]> actual = parameters(interrupted, resumed.lastCheckpoint());
        assertEquals(expected.keySet(), actual.keySet());
        for (String name : expected.keySet()) {
            assertArrayEquals(expected.get(name), actual.get(name), 0f, name + " after 10 steps");
        }
        try (LoadedModel model =
                Checkpoint.loadModel(interrupted.checkpoints(), first.lastCheckpoint(), Device.cpu())) {
            assertThat(model.pretrained())
                    .as("a checkpoint keeps the Hugging Face files")
                    .isNotNull();
            assertThat(model.tokenizer().inputPrefix()).containsExactly(TinyHfModels.VOCAB);
        }
    }

    private TrainingSpec spec(
            String name, Path base, Path train, Path valid, TrainingPlan plan, OptimizerConfig optimizer)
            throws Exception {
        return new TrainingSpec(
                TaskType.CAUSAL_LM,
                new ModelSource.Saved(base),
                train,
                valid,
                plan,
                optimizer,
                new Device[] {Device.cpu()},
                7,
                new DirectoryCheckpointStore(dir.resolve(name + "-ckpt")),
                null,
                dir.resolve(name + "-model"));
    }

    private static RunOutcome run(TrainingSpec spec, RunControl control, Consumer<StepReport> onStep) throws Exception {
        return new TrainingRun(spec, control, new TrainingListener() {
                    @Override
                    public void onStep(StepReport report) {
                        onStep.accept(report);
                    }
                })
                .run();
    }

    private static Map<String, float[]> parameters(TrainingSpec spec, String checkpoint) throws Exception {
        Map<String, float[]> values = new LinkedHashMap<>();
        try (LoadedModel model = Checkpoint.loadModel(spec.checkpoints(), checkpoint, Device.cpu())) {
            for (Pair<String, Parameter> p : model.block().getParameters()) {
                values.put(p.getKey(), p.getValue().getArray().toFloatArray());
            }
        }
        return values;
    }

    private static void assertSameTensors(Path expected, Path actual) throws Exception {
        try (SafetensorsReader a = SafetensorsReader.open(expected);
                SafetensorsReader b = SafetensorsReader.open(actual)) {
            assertEquals(a.names(), b.names(), actual.toString());
            for (TensorInfo tensor : a.tensors()) {
                TensorInfo other = b.tensor(tensor.name());
                assertEquals(tensor.type(), other.type(), tensor.name());
                assertArrayEquals(tensor.shape(), other.shape(), tensor.name());
                assertArrayEquals(a.readFloats(tensor.name()), b.readFloats(tensor.name()), 0f, tensor.name());
            }
        }
    }
}
