package dev.sublinear.study;

import ai.djl.Device;
import dev.sublinear.training.data.InvalidDataException;
import dev.sublinear.training.data.TaskType;
import dev.sublinear.training.model.LoadedModel;
import dev.sublinear.training.run.DirectoryCheckpointStore;
import dev.sublinear.training.run.EvaluationReport;
import dev.sublinear.training.run.ModelSource;
import dev.sublinear.training.run.RunControl;
import dev.sublinear.training.run.StepReport;
import dev.sublinear.training.run.TrainingFailedException;
import dev.sublinear.training.run.TrainingListener;
import dev.sublinear.training.run.TrainingPlan;
import dev.sublinear.training.run.TrainingRun;
import dev.sublinear.training.run.TrainingSpec;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Trains one variant from one seed through the product's own {@link TrainingRun} (the same reader,
 * model, loop and optimizer a fine-tuning job uses) and measures what the study reports.
 */
final class SeedRun {

    private final StudySettings settings;
    private final StudyData data;
    private final Path workDirectory;
    private final Device device;

    /** Runs on {@code device}: the engine's default, the first GPU when there is one. */
    SeedRun(StudySettings settings, StudyData data, Path workDirectory, Device device) {
        this.settings = settings;
        this.data = data;
        this.workDirectory = workDirectory;
        this.device = device;
    }

    RunResult run(Variant variant, long seed) throws IOException, InvalidDataException {
        Path dir = workDirectory.resolve(variant.id() + "-seed" + seed);
        Path base = dir.resolve("initial-model");
        try (LoadedModel initial = LoadedModel.create(settings.model(), seed, device)) {
            initial.save(base);
        }
        // enough epochs for the steps; max_steps ends the run
        int epochs = (int) ((long) settings.steps() * settings.batchSize() / settings.trainingPairs()) + 1;
        TrainingPlan h =
                new TrainingPlan(epochs, settings.batchSize(), settings.steps(), 1, settings.evalInterval(), 0, 1);
        TrainingSpec spec = new TrainingSpec(
                TaskType.CAUSAL_LM,
                new ModelSource.Saved(base),
                data.training(),
                data.validation(),
                h,
                variant.optimizer().apply(settings),
                new Device[] {device},
                seed,
                new DirectoryCheckpointStore(dir.resolve("checkpoints")),
                null,
                dir.resolve("model"));
        Recorder recorder = new Recorder(settings.steps());
        long begin = System.nanoTime();
        String failure = null;
        try {
            new TrainingRun(spec, new RunControl(), recorder).run();
        } catch (TrainingFailedException e) {
            failure = e.getMessage();
        }
        double exactMatch = 0;
        String sample = "";
        if (failure == null) {
            try (LoadedModel trained = LoadedModel.load(dir.resolve("model"), device)) {
                exactMatch = ExactMatch.of(trained, data.test());
                TranslationTask.Pair first = data.test().get(0);
                sample = trained.generate(first.source(), first.target().length() + 8, 0f, seed);
            }
        }
        double seconds = (System.nanoTime() - begin) / 1e9;
        return new RunResult(
                variant.id(),
                seed,
                recorder.steps,
                Arrays.copyOf(recorder.losses, recorder.steps),
                List.copyOf(recorder.validation),
                failure,
                exactMatch,
                sample,
                recorder.stateBytes,
                recorder.adamBytes,
                recorder.parameterBytes,
                recorder.medianStepMillis(),
                seconds);
    }

    /** Collects the run's reports on the training thread. */
    private static final class Recorder implements TrainingListener {
        private final float[] losses;
        private final double[] stepMillis;
        private final List<RunResult.Point> validation = new ArrayList<>();
        private int steps;
        private long stateBytes;
        private long adamBytes;
        private long parameterBytes;

        Recorder(int maxSteps) {
            losses = new float[maxSteps];
            stepMillis = new double[maxSteps];
        }

        @Override
        public void onStep(StepReport r) {
            losses[steps] = r.trainLoss();
            stepMillis[steps] = r.throughput().tokens() / r.throughput().tokensPerSecond() * 1e3;
            steps++;
            stateBytes = r.optimizerMemory().stateBytes();
            adamBytes = r.optimizerMemory().adamEquivalentBytes();
            parameterBytes = r.optimizerMemory().parameterBytes();
        }

        @Override
        public void onEvaluation(EvaluationReport r) {
            validation.add(new RunResult.Point(r.step(), r.validLoss()));
        }

        /** The median step, the first step (lazy state, warm-up of the engine) left out. */
        double medianStepMillis() {
            if (steps < 2) {
                return steps == 1 ? stepMillis[0] : Double.NaN;
            }
            double[] sorted = Arrays.copyOfRange(stepMillis, 1, steps);
            Arrays.sort(sorted);
            return sorted[sorted.length / 2];
        }
    }
}
