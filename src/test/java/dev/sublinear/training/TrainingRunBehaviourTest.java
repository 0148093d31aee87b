package dev.sublinear.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import dev.sublinear.training.data.InvalidDataException;
import dev.sublinear.training.data.TaskType;
import dev.sublinear.training.model.LoadedModel;
import dev.sublinear.training.run.Checkpoint;
import dev.sublinear.training.run.CheckpointStore;
import dev.sublinear.training.run.DirectoryCheckpointStore;
import dev.sublinear.training.run.EvaluationReport;
import dev.sublinear.training.run.LearningRate;
import dev.sublinear.training.run.ModelSource;
import dev.sublinear.training.run.OptimizerConfig;
import dev.sublinear.training.run.RunControl;
import dev.sublinear.training.run.RunOutcome;
import dev.sublinear.training.run.StepReport;
import dev.sublinear.training.run.TrainingFailedException;
import dev.sublinear.training.run.TrainingListener;
import dev.sublinear.training.run.TrainingPlan;
import dev.sublinear.training.run.TrainingRun;
import dev.sublinear.training.run.TrainingSpec;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TrainingRunBehaviourTest {

    @TempDir
    Path dir;

    private Path train;
    private Path valid;

    @BeforeEach
    void data() throws Exception {
        train = SyntheticData.reversal(dir.resolve("train.jsonl"), 200, 11);
        valid = SyntheticData.reversal(dir.resolve("valid.jsonl"), 24, 12);
    }

    static Stream<Arguments> resumableOptimizers() {
        return Stream.of(
                Arguments.of("adafactor", OptimizerConfig.adafactor().withOptions(b -> b.optBeta1(0.9f))),
                // a rate that depends on the step count: a resumed t that restarted would show
                Arguments.of(
                        "adam",
                        OptimizerConfig.adam(3e-3f)
                                .withLearningRate(new LearningRate(LearningRate.Schedule.COSINE, 3e-3f, 5))),
                Arguments.of(
                        "adamw",
                        OptimizerConfig.adamw(3e-3f, 0.01f)
                                .withLearningRate(new LearningRate(LearningRate.Schedule.COSINE, 3e-3f, 5))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("resumableOptimizers")
    void pausedAndResumedRunEqualsUninterruptedRun(String name, OptimizerConfig optimizer) throws Exception {
        TrainingPlan h = new TrainingPlan(5, 8, 20, 2, 0, 0, 5);
        TrainingSpec uninterrupted = spec(name + "-straight", h, optimizer);
        RunOutcome straight = run(uninterrupted, null, r -> {});

        RunControl control = new RunControl();
        TrainingSpec interrupted = spec(name + "-interrupted", h, optimizer);
        RunOutcome first = run(interrupted, control, r -> {
            if (r.progress().step() == 10) {
                control.pause();
            }
        });
        assertEquals(RunOutcome.Status.PAUSED, first.status());
        assertEquals(10, first.steps());
        RunOutcome resumed = run(interrupted.resumingFrom(first.lastCheckpoint()), null, r -> {});

        assertEquals(RunOutcome.Status.COMPLETED, resumed.status());
        assertEquals(20, straight.losses().size());
        assertEquals(straight.losses().size(), resumed.losses().size());
        for (int i = 0; i < straight.losses().size(); i++) {
            assertEquals(
                    straight.losses().get(i),
                    resumed.losses().get(i),
                    1e-6f * Math.abs(straight.losses().get(i)),
                    "loss at step " + (i + 1));
        }
        // the trained parameters, bit for bit
        Map<String, float[]> expected = parameters(straight.lastCheckpoint(), uninterrupted);
        Map<String, float[]> actual = parameters(resumed.lastCheckpoint(), interrupted);
        assertEquals(expected.keySet(), actual.keySet());
        for (String parameter : expected.keySet()) {
            assertArrayEquals(expected.get(parameter), actual.get(parameter), 0f, parameter + " after 20 steps");
        }
    }

    /** A checkpoint written before Adam kept its state (no optimizer entry) resumes with fresh moments. */
    @Test
    void anAdamCheckpointWithoutOptimizerStateStillResumes() throws Exception {
        TrainingPlan h = new TrainingPlan(5, 8, 12, 1, 0, 0, 5);
        RunControl control = new RunControl();
        TrainingSpec spec = spec("old-adam", h, OptimizerConfig.adam(3e-3f));
        RunOutcome first = run(spec, control, r -> {
            if (r.progress().step() == 6) {
                control.pause();
            }
        });
        assertEquals(RunOutcome.Status.PAUSED, first.status());
        dropEntry(spec.checkpoints(), first.lastCheckpoint(), "optimizer.state");

        RunOutcome resumed = run(spec.resumingFrom(first.lastCheckpoint()), null, r -> {});
        assertEquals(RunOutcome.Status.COMPLETED, resumed.status());
        assertEquals(12, resumed.losses().size());
        assertTrue(
                resumed.losses().stream().allMatch(Float::isFinite),
                resumed.losses().toString());
    }

    @Test
    void cancelTakesEffectWithinOneStep() throws Exception {
        RunControl control = new RunControl();
        RunOutcome outcome =
                run(spec("cancel", new TrainingPlan(5, 8, 0, 1, 0, 0, 2), OptimizerConfig.adafactor()), control, r -> {
                    if (r.progress().step() == 3) {
                        control.cancel();
                    }
                });
        assertEquals(RunOutcome.Status.CANCELLED, outcome.status());
        assertEquals(3, outcome.steps());
    }

    @Test
    void keepsTheNewestCheckpointsOnly() throws Exception {
        TrainingSpec spec = spec("keep", new TrainingPlan(5, 8, 12, 1, 0, 2, 2), OptimizerConfig.adafactor());
        run(spec, null, r -> {});
        assertEquals(
                List.of("step-00000010", "step-00000012"), spec.checkpoints().list());
    }

    @Test
    void nonFiniteLossStopsTheRunAndKeepsTheLastGoodCheckpoint() throws Exception {
        TrainingSpec spec = spec("diverge", new TrainingPlan(20, 8, 0, 1, 0, 1, 50), OptimizerConfig.adam(1e6f));
        TrainingFailedException e = assertThrows(TrainingFailedException.class, () -> run(spec, null, r -> {}));
        assertTrue(e.getMessage().contains("step " + e.step()), e.getMessage());
        List<String> checkpoints = spec.checkpoints().list();
        assertTrue(!checkpoints.isEmpty(), "checkpoints before the failure are kept");
        String lastGood = checkpoints.get(checkpoints.size() - 1);
        assertTrue(Integer.parseInt(lastGood.substring(5)) < e.step(), lastGood + " vs failure at " + e.step());
        // the last checkpoint is whole and finite: it loads, and nothing non-finite was written
        try (LoadedModel model = Checkpoint.loadModel(spec.checkpoints(), lastGood, Device.cpu())) {
            assertTrue(model.parametersFinite(), lastGood);
        }
        System.out.println("diverged at step " + e.step() + ": " + e.getMessage());
    }

    @Test
    void liveArraysStayFlatAcrossSteps() throws Exception {
        List<Integer> counts = new ArrayList<>();
        run(
                spec("leak", new TrainingPlan(5, 8, 40, 1, 10, 0, 1), OptimizerConfig.adafactor()),
                null,
                r -> counts.add(liveArrays()));
        System.out.println(
                "live NDArrays at steps 5, 20, 40: " + counts.get(4) + ", " + counts.get(19) + ", " + counts.get(39));
        assertEquals(counts.get(4), counts.get(39), "live NDArrays at step 5 and at step 40");
    }

    @Test
    void fineTunedModelBeatsItsBaseOnHeldOutData() throws Exception {
        // base: trained on reversal; fine-tuned on a new task (uppercase copy) from its saved output
        TrainingSpec base = spec("base", new TrainingPlan(2, 16, 20, 1, 0, 0, 1), OptimizerConfig.adafactor());
        run(base, null, r -> {});
        List<String> upper = new ArrayList<>();
        List<String> upperValid = new ArrayList<>();
        Random random = new Random(5);
        for (int i = 0; i < 224; i++) {
            String w = SyntheticData.word(random, 4);
            (i < 200 ? upper : upperValid)
                    .add("{\"prompt\": \"" + w + "\", \"completion\": \"" + w.toUpperCase() + "\"}");
        }
        Path upperTrain = SyntheticData.write(dir.resolve("upper.jsonl"), upper);
        Path upperHeldOut = SyntheticData.write(dir.resolve("upper-valid.jsonl"), upperValid);
        List<EvaluationReport> evaluations = new ArrayList<>();
        TrainingSpec fineTune = new TrainingSpec(
                TaskType.CAUSAL_LM,
                new ModelSource.Saved(base.outputDirectory()),
                upperTrain,
                upperHeldOut,
                new TrainingPlan(2, 16, 40, 1, 0, 0, 1),
                OptimizerConfig.adafactor(),
                new Device[] {Device.cpu()},
                3,
                new DirectoryCheckpointStore(dir.resolve("ft-ckpt")),
                null,
                dir.resolve("ft-model"));
        new TrainingRun(fineTune, new RunControl(), new TrainingListener() {
                    @Override
                    public void onEvaluation(EvaluationReport report) {
                        evaluations.add(report);
                    }
                })
                .run();
        EvaluationReport before = evaluations.get(0);
        EvaluationReport after = evaluations.get(evaluations.size() - 1);
        System.out.println("held-out loss of the base " + before.validLoss() + ", fine-tuned " + after.validLoss());
        assertEquals(0, before.step());
        assertTrue(after.validLoss() < 0.5f * before.validLoss(), evaluations.toString());
    }

    @Test
    void aBaseModelForAnotherTaskIsRefused() throws Exception {
        TrainingSpec spec = new TrainingSpec(
                TaskType.CLASSIFICATION,
                new ModelSource.Catalog("lm-tiny"),
                train,
                null,
                TrainingPlan.defaults(),
                OptimizerConfig.adafactor(),
                new Device[] {Device.cpu()},
                1,
                new DirectoryCheckpointStore(dir.resolve("x")),
                null,
                null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> run(spec, null, r -> {}));
        assertTrue(e.getMessage().contains("causal-lm"), e.getMessage());
    }

    @Test
    void invalidDataFailsBeforeAnyTraining() throws Exception {
        Path bad = dir.resolve("bad.jsonl");
        Files.writeString(bad, "{\"prompt\": \"a\", \"completion\": \"b\"}\n{oops}\n");
        TrainingSpec spec = new TrainingSpec(
                TaskType.CAUSAL_LM,
                new ModelSource.Catalog("lm-tiny"),
                bad,
                null,
                TrainingPlan.defaults(),
                OptimizerConfig.adafactor(),
                new Device[] {Device.cpu()},
                1,
                new DirectoryCheckpointStore(dir.resolve("bad-ckpt")),
                null,
                null);
        List<StepReport> steps = new ArrayList<>();
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> run(spec, null, steps::add));
        assertTrue(e.getMessage().contains("training line 2"), e.getMessage());
        assertTrue(steps.isEmpty());
        assertTrue(spec.checkpoints().list().isEmpty());
    }

    /** The parameters saved in a checkpoint, by their path in the block. */
    private static Map<String, float[]> parameters(String checkpoint, TrainingSpec spec) throws Exception {
        Map<String, float[]> values = new LinkedHashMap<>();
        try (LoadedModel model = Checkpoint.loadModel(spec.checkpoints(), checkpoint, Device.cpu())) {
            for (Pair<String, Parameter> p : model.block().getParameters()) {
                values.put(p.getKey(), p.getValue().getArray().toFloatArray());
            }
        }
        return values;
    }

    /** Rewrites a checkpoint without one of its entries. */
    private static void dropEntry(CheckpointStore store, String checkpoint, String entry) throws Exception {
        ByteArrayOutputStream copy = new ByteArrayOutputStream();
        boolean found = false;
        try (ZipInputStream in = new ZipInputStream(store.open(checkpoint));
                ZipOutputStream out = new ZipOutputStream(copy)) {
            for (ZipEntry e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                if (e.getName().equals(entry)) {
                    found = true;
                    continue;
                }
                out.putNextEntry(new ZipEntry(e.getName()));
                in.transferTo(out);
                out.closeEntry();
            }
        }
        assertTrue(found, checkpoint + " has " + entry);
        store.write(checkpoint, out -> out.write(copy.toByteArray()));
    }

    /** Every NDArray alive in the process: the engine's root manager holds all the others. */
    private static int liveArrays() {
        try (NDManager probe = NDManager.newBaseManager()) {
            return probe.getParentManager().getManagedArrays().size();
        }
    }

    private TrainingSpec spec(String name, TrainingPlan h, OptimizerConfig optimizer) throws Exception {
        CheckpointStore store = new DirectoryCheckpointStore(dir.resolve(name + "-ckpt"));
        return new TrainingSpec(
                TaskType.CAUSAL_LM,
                new ModelSource.Catalog("lm-tiny"),
                train,
                valid,
                h,
                optimizer,
                new Device[] {Device.cpu()},
                5,
                store,
                null,
                dir.resolve(name + "-model"));
    }

    private static RunOutcome run(TrainingSpec spec, RunControl control, Consumer<StepReport> onStep) throws Exception {
        return new TrainingRun(spec, control == null ? new RunControl() : control, new TrainingListener() {
                    @Override
                    public void onStep(StepReport report) {
                        onStep.accept(report);
                    }
                })
                .run();
    }
}
