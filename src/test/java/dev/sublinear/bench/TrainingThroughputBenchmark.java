package dev.sublinear.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import dev.sublinear.optimizer.Adafactor;
import dev.sublinear.training.SyntheticData;
import dev.sublinear.training.data.ByteTokenizer;
import dev.sublinear.training.data.DatasetReader;
import dev.sublinear.training.data.Encoder;
import dev.sublinear.training.data.Example;
import dev.sublinear.training.data.TaskType;
import dev.sublinear.training.data.TrainingData;
import dev.sublinear.training.model.LoadedModel;
import dev.sublinear.training.model.ModelCatalog;
import dev.sublinear.training.model.ModelConfig;
import dev.sublinear.training.run.Batches;
import dev.sublinear.training.run.DirectoryCheckpointStore;
import dev.sublinear.training.run.MaskedCrossEntropy;
import dev.sublinear.training.run.ModelSource;
import dev.sublinear.training.run.OptimizerConfig;
import dev.sublinear.training.run.RunControl;
import dev.sublinear.training.run.StepReport;
import dev.sublinear.training.run.TrainingListener;
import dev.sublinear.training.run.TrainingPlan;
import dev.sublinear.training.run.TrainingRun;
import dev.sublinear.training.run.TrainingSpec;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * Training throughput of lm-tiny through the training layer ({@link TrainingRun}: validation of
 * the data, listeners, diagnostics, checkpoint at the end) against a bare DJL loop with the same
 * model, seed, data, batch size and optimizer. Runs alternate in one JVM; tokens per second are
 * counted over the same steps (after the first) in both.
 *
 * <p>Run: {@code ./mvnw -B -q test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.sublinear.bench.TrainingThroughputBenchmark}
 */
public final class TrainingThroughputBenchmark {

    private static final int STEPS = 150;
    private static final int BATCH = 16;
    private static final long SEED = 7;

    private TrainingThroughputBenchmark() {}

    public static void main(String[] args) throws Exception {
        Engine engine = BenchReport.startEngine();
        int repeats = args.length > 0 ? Integer.parseInt(args[0]) : 7;
        Path dir = Files.createTempDirectory("throughput");
        Path train = SyntheticData.reversal(dir.resolve("train.jsonl"), BATCH * STEPS, 1);

        double[] layer = new double[repeats];
        double[] bare = new double[repeats];
        bareLoop(train); // warm-up: JIT and allocator
        layer(train, dir.resolve("warm"));
        for (int r = 0; r < repeats; r++) {
            if (r % 2 == 0) {
                layer[r] = layer(train, dir.resolve("run" + r));
                bare[r] = bareLoop(train);
            } else {
                bare[r] = bareLoop(train);
                layer[r] = layer(train, dir.resolve("run" + r));
            }
            System.out.printf(Locale.ROOT, "round %d: layer %.0f tokens/s, bare %.0f tokens/s%n", r, layer[r], bare[r]);
        }
        double layerMedian = median(layer);
        double bareMedian = median(bare);
        String body = "## Training throughput: lm-tiny through the training layer\n\n"
                + "Tokens per second over steps 2 to " + STEPS + " of lm-tiny (batch " + BATCH
                + ", Adafactor defaults, word-reversal data) through `TrainingRun` and through a bare DJL loop"
                + " (GradientCollector, forward, masked cross-entropy, backward, `Trainer.step()`), same model,"
                + " seed, data and optimizer; " + repeats + " alternating rounds in one JVM, medians.\n\n"
                + "Measured " + LocalDate.now() + " on " + BenchReport.machine() + ", " + engine.getEngineName()
                + " " + engine.getVersion() + ", CPU.\n\n"
                + "| path | tokens/s (median) | per round |\n| --- | ---: | --- |\n"
                + String.format(Locale.ROOT, "| training layer | %.0f | %s |%n", layerMedian, rounds(layer))
                + String.format(Locale.ROOT, "| bare DJL loop | %.0f | %s |%n", bareMedian, rounds(bare))
                + String.format(
                        Locale.ROOT,
                        "%nLayer / bare: **%.1f%%** (target: at least 97%%).%n",
                        100 * layerMedian / bareMedian)
                + "\nCommand: `./mvnw -B -q test-compile exec:java -Dexec.classpathScope=test"
                + " -Dexec.mainClass=dev.sublinear.bench.TrainingThroughputBenchmark`\n";
        BenchReport.writeSection(Path.of("docs", "benchmarks.md"), "training-throughput", body);
        System.out.printf(Locale.ROOT, "layer/bare = %.3f; wrote docs/benchmarks.md%n", layerMedian / bareMedian);
    }

    /** Tokens per second through TrainingRun, over steps 2..N (setup and final checkpoint excluded). */
    private static double layer(Path train, Path dir) throws Exception {
        long[] window = new long[3]; // first step's end, last step's end, tokens after the first step
        TrainingSpec spec = new TrainingSpec(
                TaskType.CAUSAL_LM,
                new ModelSource.Catalog("lm-tiny"),
                train,
                null,
                new TrainingPlan(1, BATCH, STEPS, 1, 0, 0, 1),
                OptimizerConfig.adafactor(),
                new Device[] {Device.cpu()},
                SEED,
                new DirectoryCheckpointStore(dir),
                null,
                null);
        new TrainingRun(spec, new RunControl(), new TrainingListener() {
                    @Override
                    public void onStep(StepReport report) {
                        long now = System.nanoTime();
                        if (report.progress().step() == 1) {
                            window[0] = now;
                        } else {
                            window[1] = now;
                            window[2] += report.throughput().tokens();
                        }
                    }
                })
                .run();
        return window[2] / ((window[1] - window[0]) / 1e9);
    }

    /** The same training written directly against DJL: no validation, listeners or checkpoints. */
    private static double bareLoop(Path train) throws Exception {
        ModelConfig config = ModelCatalog.get("lm-tiny", List.of()).orElseThrow();
        TrainingData data;
        try (InputStream in = Files.newInputStream(train)) {
            data = new DatasetReader(TaskType.CAUSAL_LM, new ByteTokenizer(), config.contextLength(), 2).read(in, null);
        }
        try (LoadedModel model = LoadedModel.create(config, SEED, Device.cpu());
                Adafactor adafactor = Adafactor.builder().build()) {
            Encoder encoder = new Encoder(model.tokenizer(), config.contextLength(), List.of());
            List<Encoder.Encoded> encoded = new ArrayList<>();
            for (Example e : data.training()) {
                encoded.add(encoder.encode(e));
            }
            Batches batches =
                    new Batches(encoded, BATCH, SEED, model.tokenizer().padId(), true);
            DefaultTrainingConfig trainingConfig =
                    new DefaultTrainingConfig(new MaskedCrossEntropy()).optOptimizer(adafactor);
            long firstStepEnd = 0;
            long tokens = 0;
            try (Trainer trainer = model.model().newTrainer(trainingConfig)) {
                for (int step = 0; step < STEPS; step++) {
                    try (NDManager scope = trainer.getManager().newSubManager()) {
                        Batches.Arrays arrays = Batches.toArrays(
                                scope, batches.batch(1, step), model.tokenizer().padId());
                        try (GradientCollector collector = trainer.newGradientCollector()) {
                            NDList predictions = trainer.forward(arrays.inputs(), arrays.labels());
                            NDArray loss = trainer.getLoss().evaluate(arrays.labels(), predictions);
                            collector.backward(loss);
                        }
                        trainer.step();
                        if (step == 0) {
                            firstStepEnd = System.nanoTime();
                        } else {
                            tokens += arrays.tokens();
                        }
                    }
                }
            }
            return tokens / ((System.nanoTime() - firstStepEnd) / 1e9);
        }
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    private static String rounds(double[] values) {
        List<String> parts = new ArrayList<>();
        for (double v : values) {
            parts.add(String.format(Locale.ROOT, "%.0f", v));
        }
        return String.join(", ", parts);
    }
}
