package dev.sublinear.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.sublinear.training.data.TaskType;
import dev.sublinear.training.model.LoadedModel;
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
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainingRunTest {

    @TempDir
    Path dir;

    @Test
    void causalLmLearnsAndGenerates() throws Exception {
        Path train = SyntheticData.reversal(dir.resolve("train.jsonl"), 400, 1);
        Path valid = SyntheticData.reversal(dir.resolve("valid.jsonl"), 40, 2);
        List<EvaluationReport> evaluations = new ArrayList<>();
        List<StepReport> steps = new ArrayList<>();
        TrainingListener listener = new TrainingListener() {
            @Override
            public void onStep(StepReport report) {
                steps.add(report);
            }

            @Override
            public void onEvaluation(EvaluationReport report) {
                evaluations.add(report);
            }
        };
        TrainingSpec spec = new TrainingSpec(
                TaskType.CAUSAL_LM,
                new ModelSource.Catalog("lm-tiny"),
                train,
                valid,
                new TrainingPlan(4, 16, 0, 1, 25, 50, 2),
                OptimizerConfig.adafactor(),
                new Device[] {Device.cpu()},
                7,
                new DirectoryCheckpointStore(dir.resolve("ckpt")),
                null,
                dir.resolve("model"));
        long begin = System.nanoTime();
        RunOutcome outcome = new TrainingRun(spec, new RunControl(), listener).run();
        System.out.printf(
                "lm-tiny: %d steps in %.1f s; valid loss %s%n",
                outcome.steps(),
                (System.nanoTime() - begin) / 1e9,
                evaluations.stream()
                        .map(e -> String.format("%.3f", e.validLoss()))
                        .toList());
        assertEquals(RunOutcome.Status.COMPLETED, outcome.status());
        assertEquals(100, outcome.steps());
        assertTrue(evaluations.get(evaluations.size() - 1).validLoss()
                < 0.6 * evaluations.get(0).validLoss());
        StepReport last = steps.get(steps.size() - 1);
        assertTrue(
                last.optimizerMemory().stateBytes() * 20
                        < last.optimizerMemory().adamEquivalentBytes(),
                last.toString());
        try (LoadedModel model = LoadedModel.load(dir.resolve("model"), Device.cpu())) {
            System.out.println("generate(abcd) = " + model.generate("abcd", 8, 0f, 0));
        }
    }

    @Test
    void adamAndAdamwTrainThroughTheSameLayer() throws Exception {
        Path train = SyntheticData.reversal(dir.resolve("train.jsonl"), 200, 1);
        Path valid = SyntheticData.reversal(dir.resolve("valid.jsonl"), 24, 2);
        for (OptimizerConfig optimizer : List.of(
                OptimizerConfig.adam(3e-3f).withLearningRate(new LearningRate(LearningRate.Schedule.COSINE, 3e-3f, 5)),
                OptimizerConfig.adamw(3e-3f, 0.01f)
                        .withLearningRate(new LearningRate(LearningRate.Schedule.LINEAR, 3e-3f, 5)))) {
            List<EvaluationReport> evaluations = new ArrayList<>();
            TrainingSpec spec = new TrainingSpec(
                    TaskType.CAUSAL_LM,
                    new ModelSource.Catalog("lm-tiny"),
                    train,
                    valid,
                    new TrainingPlan(2, 16, 25, 1, 0, 0, 1),
                    optimizer,
                    new Device[] {Device.cpu()},
                    7,
                    new DirectoryCheckpointStore(dir.resolve(optimizer.type() + "-ckpt")),
                    null,
                    null);
            RunOutcome outcome = new TrainingRun(spec, new RunControl(), new TrainingListener() {
                        @Override
                        public void onEvaluation(EvaluationReport report) {
                            evaluations.add(report);
                        }
                    })
                    .run();
            assertEquals(25, outcome.steps());
            assertTrue(
                    evaluations.get(evaluations.size() - 1).validLoss()
                            < 0.7f * evaluations.get(0).validLoss(),
                    optimizer.type() + ": " + evaluations);
        }
    }

    @Test
    void classifierLearns() throws Exception {
        Path train = SyntheticData.initials(dir.resolve("train.jsonl"), 300, 3);
        Path valid = SyntheticData.initials(dir.resolve("valid.jsonl"), 60, 4);
        List<EvaluationReport> evaluations = new ArrayList<>();
        TrainingSpec spec = new TrainingSpec(
                TaskType.CLASSIFICATION,
                new ModelSource.Catalog("cls-tiny"),
                train,
                valid,
                new TrainingPlan(3, 16, 0, 1, 20, 0, 1),
                OptimizerConfig.adafactor(),
                new Device[] {Device.cpu()},
                7,
                new DirectoryCheckpointStore(dir.resolve("ckpt")),
                null,
                dir.resolve("model"));
        RunOutcome outcome = new TrainingRun(spec, new RunControl(), new TrainingListener() {
                    @Override
                    public void onEvaluation(EvaluationReport report) {
                        evaluations.add(report);
                    }
                })
                .run();
        System.out.println("cls-tiny evaluations: " + evaluations);
        assertEquals(RunOutcome.Status.COMPLETED, outcome.status());
        EvaluationReport first = evaluations.get(0);
        EvaluationReport last = evaluations.get(evaluations.size() - 1);
        assertTrue(last.validLoss() < 0.5 * first.validLoss(), evaluations.toString());
        assertTrue(last.accuracy() > 0.9f, evaluations.toString());
        try (LoadedModel model = LoadedModel.load(dir.resolve("model"), Device.cpu())) {
            Map<String, Float> p = model.classify("abba");
            System.out.println("classify(abba) = " + p);
            assertTrue(p.get("vowel") > 0.5f, p.toString());
        }
    }
}
