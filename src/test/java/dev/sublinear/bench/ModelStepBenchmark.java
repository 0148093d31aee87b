package dev.sublinear.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.util.Pair;
import dev.sublinear.training.SyntheticData;
import dev.sublinear.training.data.ByteTokenizer;
import dev.sublinear.training.data.DatasetReader;
import dev.sublinear.training.data.Encoder;
import dev.sublinear.training.data.Example;
import dev.sublinear.training.data.InvalidDataException;
import dev.sublinear.training.data.TaskType;
import dev.sublinear.training.data.TrainingData;
import dev.sublinear.training.model.LoadedModel;
import dev.sublinear.training.model.ModelCatalog;
import dev.sublinear.training.model.ModelConfig;
import dev.sublinear.training.run.Batches;
import dev.sublinear.training.run.MaskedCrossEntropy;
import dev.sublinear.training.run.OptimizerConfig;
import dev.sublinear.training.run.OptimizerStep;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * One optimizer step over a whole catalog model, through {@link OptimizerStep#run} (the seam the
 * training loop calls after backward), with Adafactor as a job on a catalog model gets it (the
 * paper's defaults, relative step): on the fused CPU kernels, on engine operations (the kernels
 * turned off) and on engine operations only, as on a GPU (the CPU's host arithmetic turned off too),
 * three copies of the model with the same seed taking turns step by step in one JVM.
 *
 * <p>Each copy runs forward and backward once on the same fixed batch and keeps a copy of every
 * gradient; before each step the gradients are refilled from those copies (untimed), so every step
 * of both paths sees the same gradients. Only the step is timed. One more step of each, untimed,
 * runs under PyTorch's profiler ({@link EngineOpCount}) for the engine operations per step.
 *
 * <p>Run: {@code ./mvnw -B -q -o test-compile org.codehaus.mojo:exec-maven-plugin:3.5.0:java
 * -Dexec.classpathScope=test -Dexec.mainClass=dev.sublinear.bench.ModelStepBenchmark
 * [-Dexec.args=ROUNDS] [-Dmodels=lm-small,lm-tiny]}
 */
public final class ModelStepBenchmark {

    private static final long SEED = 7;
    private static final int BATCH = 8;
    private static final int WARMUP = 10;
    private static final String KERNELS = "sublinear.adafactor.cpuKernels";
    private static final String HOST_ARITHMETIC = "sublinear.adafactor.hostArithmetic";

    /** Which execution a side runs, by the optimizer's switches. */
    private enum Execution {
        /** The fused CPU kernels. */
        FUSED,
        /** Engine operations, with the CPU's host arithmetic for vectors and scalars. */
        ENGINE,
        /** Engine operations only, as a GPU runs them (small parameters in batches). */
        DEVICE
    }

    private static final NDIndex ALL = new NDIndex(":");

    private ModelStepBenchmark() {}

    public static void main(String[] args) throws Exception {
        Engine engine = BenchReport.startEngine();
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 61;
        Path dir = Files.createTempDirectory("model-step");
        Path train = SyntheticData.reversal(dir.resolve("train.jsonl"), BATCH * 4, 1);

        StringBuilder table = new StringBuilder()
                .append("| model | trained tensors (matrices + vectors) | fused ms | engine ms | engine / fused |")
                .append(" fused ops | engine ops | device-path ms | device-path ops |\n")
                .append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        StringBuilder names = new StringBuilder();
        for (String model : System.getProperty("models", "lm-small,lm-tiny").split(",")) {
            measure(model.strip(), train, rounds, table, names);
        }

        String body = "## Whole-model optimizer step\n\n"
                + "Median milliseconds of one Adafactor step over every parameter of a catalog model, through"
                + " `OptimizerStep.run(trainer, optimizer)` (what `TrainingLoop` calls after backward), over "
                + rounds
                + " interleaved rounds (after "
                + WARMUP
                + " warm-up rounds). Adafactor as a job on a catalog model runs it (paper defaults: factored,"
                + " relative step, parameter scaling, update clipping). Fused: the CPU kernels; engine: the"
                + " kernels turned off (`-Dsublinear.adafactor.cpuKernels=false`), the path GPUs,"
                + " half-precision parameters and jars without the kernels run, with the CPU's vectors and"
                + " scalars done on the host; device path: engine operations only"
                + " (`-Dsublinear.adafactor.hostArithmetic=false` as well), every vector and scalar an"
                + " engine operation and the small parameters in batches, as on a GPU (here on the CPU)."
                + " Three copies of the model (same seed) take turns; each ran forward and backward once on"
                + " the same batch of "
                + BATCH
                + " reversal examples, and its gradients are refilled from copies before every step"
                + " (untimed), so all steps see the same gradients. Ops: the top-level aten operations of"
                + " one more step, untimed, under PyTorch's profiler (`EngineOpCount`), the gradient copies"
                + " `Trainer.step()` makes included.\n\n"
                + BenchReport.measuredOnCpu(engine)
                + table
                + "\nTop-level ops of the counted step by name:\n\n"
                + names
                + BenchReport.optimizerCommand("ModelStepBenchmark", args, "models", "lm-small,lm-tiny");
        BenchReport.writeSection(Path.of("docs", "benchmarks.md"), "model-step", body);
        System.out.println("wrote docs/benchmarks.md");
    }

    private static void measure(String name, Path train, int rounds, StringBuilder table, StringBuilder names)
            throws IOException, InvalidDataException {
        ModelConfig config = ModelCatalog.get(name, List.of())
                .orElseThrow(() -> new IllegalArgumentException("no catalog model " + name));
        List<Encoder.Encoded> encoded = encode(config, train);
        try (Side fused = new Side(config, encoded, rounds + WARMUP + 2, Execution.FUSED);
                Side enginePath = new Side(config, encoded, rounds + WARMUP + 2, Execution.ENGINE);
                Side devicePath = new Side(config, encoded, rounds + WARMUP + 2, Execution.DEVICE)) {
            Side[] sides = {fused, enginePath, devicePath};
            for (int i = 0; i < WARMUP; i++) {
                for (Side side : sides) {
                    side.timedStep();
                }
            }
            long[][] times = new long[sides.length][rounds];
            for (int r = 0; r < rounds; r++) {
                for (int k = 0; k < sides.length; k++) {
                    int index = (k + r) % sides.length; // alternate who goes first
                    times[index][r] = sides[index].timedStep();
                }
            }
            EngineOpCount fusedOps = fused.countedStep();
            EngineOpCount engineOps = enginePath.countedStep();
            EngineOpCount deviceOps = devicePath.countedStep();
            double fusedMs = median(times[0]);
            double engineMs = median(times[1]);
            String row = String.format(
                    Locale.ROOT,
                    "| %s | %d (%d + %d) | %.2f | %.2f | %.2f | %d | %d | %.2f | %d |%n",
                    name,
                    fused.tensors(),
                    fused.matrices(),
                    fused.tensors() - fused.matrices(),
                    fusedMs,
                    engineMs,
                    engineMs / fusedMs,
                    fusedOps.operations(),
                    engineOps.operations(),
                    median(times[2]),
                    deviceOps.operations());
            table.append(row);
            System.out.print(row);
            for (Pair<String, EngineOpCount> side : List.of(
                    new Pair<>("fused", fusedOps),
                    new Pair<>("engine", engineOps),
                    new Pair<>("device path", deviceOps))) {
                String line = String.format(
                        Locale.ROOT,
                        "%s, %s: %s",
                        name,
                        side.getKey(),
                        side.getValue().byName());
                names.append("- ").append(line).append('\n');
                System.out.println(line);
                System.out.println(name + ", " + side.getKey() + " time by op: "
                        + side.getValue().timeByName());
            }
        }
    }

    private static List<Encoder.Encoded> encode(ModelConfig config, Path train)
            throws IOException, InvalidDataException {
        TrainingData data;
        try (InputStream in = Files.newInputStream(train)) {
            data = new DatasetReader(TaskType.CAUSAL_LM, new ByteTokenizer(), config.contextLength(), 2).read(in, null);
        }
        Encoder encoder = new Encoder(new ByteTokenizer(), config.contextLength(), List.of());
        List<Encoder.Encoded> encoded = new ArrayList<>();
        for (Example e : data.training()) {
            encoded.add(encoder.encode(e));
        }
        return encoded;
    }

    private static double median(long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2] / 1e6;
    }

    /** One copy of the model with its trainer, optimizer and saved gradients, on one optimizer path. */
    private static final class Side implements AutoCloseable {
        private final LoadedModel model;
        private final Optimizer optimizer;
        private final Trainer trainer;
        private final Execution path;
        private final List<NDArray> parameters = new ArrayList<>();
        private final List<NDArray> savedGradients = new ArrayList<>();
        private int matrices;

        Side(ModelConfig config, List<Encoder.Encoded> encoded, int totalSteps, Execution path) {
            this.path = path;
            model = LoadedModel.create(config, SEED, Device.cpu());
            optimizer = OptimizerConfig.adafactor().build(totalSteps);
            trainer = model.model()
                    .newTrainer(new DefaultTrainingConfig(new MaskedCrossEntropy()).optOptimizer(optimizer));
            int padId = model.tokenizer().padId();
            List<Encoder.Encoded> batch = new Batches(encoded, BATCH, SEED, padId, false).batch(1, 0);
            try (NDManager scope = trainer.getManager().newSubManager()) {
                Batches.Arrays arrays = Batches.toArrays(scope, batch, padId);
                try (GradientCollector collector = trainer.newGradientCollector()) {
                    NDList predictions = trainer.forward(arrays.inputs(), arrays.labels());
                    collector.backward(trainer.getLoss().evaluate(arrays.labels(), predictions));
                }
            }
            NDManager keep = trainer.getManager();
            for (Pair<String, Parameter> p : model.block().getParameters()) {
                NDArray array = p.getValue().getArray();
                if (!p.getValue().requiresGradient() || !array.hasGradient()) {
                    continue;
                }
                parameters.add(array);
                try (NDArray gradient = array.getGradient()) {
                    NDArray saved = gradient.duplicate();
                    saved.attach(keep);
                    savedGradients.add(saved);
                }
                if (array.getShape().dimension() >= 2) {
                    matrices++;
                }
            }
            if (parameters.isEmpty()) {
                throw new IllegalStateException(path + ": no parameter has a gradient after backward");
            }
        }

        int tensors() {
            return parameters.size();
        }

        int matrices() {
            return matrices;
        }

        long timedStep() {
            refill();
            pathOn();
            try {
                long start = System.nanoTime();
                OptimizerStep.run(trainer, optimizer);
                return System.nanoTime() - start;
            } finally {
                pathOff();
            }
        }

        EngineOpCount countedStep() throws IOException {
            refill();
            pathOn();
            try {
                return EngineOpCount.profile(() -> OptimizerStep.run(trainer, optimizer));
            } finally {
                pathOff();
            }
        }

        private void refill() {
            for (int i = 0; i < parameters.size(); i++) {
                try (NDArray gradient = parameters.get(i).getGradient()) {
                    gradient.set(ALL, savedGradients.get(i));
                }
            }
        }

        private void pathOn() {
            if (path != Execution.FUSED) {
                System.setProperty(KERNELS, "false");
            }
            if (path == Execution.DEVICE) {
                System.setProperty(HOST_ARITHMETIC, "false");
            }
        }

        private void pathOff() {
            System.clearProperty(KERNELS);
            System.clearProperty(HOST_ARITHMETIC);
        }

        @Override
        public void close() {
            try {
                if (optimizer instanceof AutoCloseable closeable) {
                    closeable.close();
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            } finally {
                trainer.close();
                model.close();
            }
        }
    }
}
