package dev.sublinear.study;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.sublinear.training.data.TaskType;
import dev.sublinear.training.model.LoadedModel;
import dev.sublinear.training.run.DirectoryCheckpointStore;
import dev.sublinear.training.run.ModelSource;
import dev.sublinear.training.run.OptimizerConfig;
import dev.sublinear.training.run.RunControl;
import dev.sublinear.training.run.TrainingListener;
import dev.sublinear.training.run.TrainingPlan;
import dev.sublinear.training.run.TrainingRun;
import dev.sublinear.training.run.TrainingSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The one-pass exact match agrees with what step-by-step greedy generation actually produces: the
 * model's own greedy outputs all count as exact, and any change to them (a wrong byte, one byte
 * more, one byte less) does not.
 */
class ExactMatchTest {

    @TempDir
    Path dir;

    @Test
    void agreesWithGreedyGeneration() throws Exception {
        TranslationTask.Splits splits =
                TranslationTask.generate(TranslationTask.STUDY_SEED).splits(400, 16, 40, 5);
        Path base = dir.resolve("base");
        try (LoadedModel initial = LoadedModel.create(StudySettings.quick().model(), 1, Device.cpu())) {
            initial.save(base);
        }
        // a short run with a large rate: enough for outputs that end, not for good ones
        TrainingSpec spec = new TrainingSpec(
                TaskType.CAUSAL_LM,
                new ModelSource.Saved(base),
                TranslationTask.write(dir.resolve("train.jsonl"), splits.training()),
                TranslationTask.write(dir.resolve("valid.jsonl"), splits.validation()),
                new TrainingPlan(20, 16, 150, 1, 0, 0, 1),
                OptimizerConfig.adam(1e-2f),
                new Device[] {Device.cpu()},
                1,
                new DirectoryCheckpointStore(dir.resolve("checkpoints")),
                null,
                dir.resolve("model"));
        new TrainingRun(spec, new RunControl(), TrainingListener.NONE).run();

        try (LoadedModel model = LoadedModel.load(dir.resolve("model"), Device.cpu())) {
            List<TranslationTask.Pair> own = new ArrayList<>();
            for (TranslationTask.Pair p : splits.test()) {
                int limit = 70;
                String greedy = model.generate(p.source(), limit, 0f, 0);
                if (greedy.length() < limit && !greedy.isEmpty()) {
                    own.add(new TranslationTask.Pair(p.source(), greedy)); // it stopped by itself
                }
            }
            assertTrue(own.size() >= 10, "greedy outputs that end: " + own.size());
            assertEquals(1.0, ExactMatch.of(model, own), "the model's own outputs");

            List<TranslationTask.Pair> changed = new ArrayList<>();
            for (TranslationTask.Pair p : own) {
                String t = p.target();
                char last = t.charAt(t.length() - 1);
                changed.add(new TranslationTask.Pair(
                        p.source(), t.substring(0, t.length() - 1) + (last == 'a' ? 'b' : 'a')));
                changed.add(new TranslationTask.Pair(p.source(), t + "a"));
                changed.add(new TranslationTask.Pair(p.source(), t.substring(0, t.length() - 1)));
            }
            assertEquals(0.0, ExactMatch.of(model, changed), "changed outputs");

            List<TranslationTask.Pair> mixed = new ArrayList<>(own.subList(0, 5));
            mixed.addAll(changed.subList(0, 15));
            assertEquals(0.25, ExactMatch.of(model, mixed), 1e-9);
        }
    }
}
