package dev.sublinear.bench;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.ParameterStore;
import ai.djl.training.Trainer;
import ai.djl.training.initializer.NormalInitializer;
import ai.djl.training.loss.Loss;
import ai.djl.training.optimizer.Adam;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.util.PairList;
import dev.sublinear.optimizer.Adafactor;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Times one optimizer step through DJL's real path, {@code Trainer.step()} (parameter store, the
 * parameter server's gradient copy, the optimizer's update), for Adafactor, DJL's Adam and an
 * in-place axpy, on one parameter per model. The three trainers take turns step by step in one
 * JVM so that machine noise hits them alike; the gradient is refilled (untimed) before each step.
 *
 * <p>Each contender also takes one untimed step under PyTorch's profiler ({@link EngineOpCount}):
 * the engine operations it launches and the full-size reads and writes they make.
 *
 * <p>Run: {@code ./mvnw -B -q -o test-compile org.codehaus.mojo:exec-maven-plugin:3.5.0:java
 * -Dexec.classpathScope=test -Dexec.mainClass=dev.sublinear.bench.OptimizerStepBenchmark} (optional
 * argument: rounds).
 */
public final class OptimizerStepBenchmark {

    private static final Shape[] SHAPES = {
        new Shape(1024, 1024), new Shape(4096, 1024), new Shape(32768, 512), new Shape(1024)
    };
    private static final NDIndex ALL = new NDIndex(":");
    private static final long WARMUP_NANOS = 1_000_000_000L;

    private OptimizerStepBenchmark() {}

    public static void main(String[] args) throws Exception {
        Engine engine = BenchReport.startEngine();
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 31;
        int warmup = 20;

        StringBuilder fused = table();
        StringBuilder engineOps = table();
        Map<String, List<String>> fusedNames = new LinkedHashMap<>();
        Map<String, List<String>> engineNames = new LinkedHashMap<>();
        for (Shape shape : shapes()) {
            measure(shape, false, rounds, warmup, fused, fusedNames);
            measure(shape, true, rounds, warmup, engineOps, engineNames);
        }

        String body = "## Optimizer step through `Trainer.step()`\n\n"
                + "Median milliseconds of one step over "
                + rounds
                + " interleaved rounds (after "
                + warmup
                + " warm-up rounds, and at least a second of them), one parameter per model. Adam is DJL's fused `Adam`"
                + " (defaults); axpy is a minimal in-place optimizer (`W -= lr * G`, then the"
                + " gradient zeroed), the floor any optimizer pays through this path. Every"
                + " column includes what `Trainer.step()` itself does (the parameter server"
                + " copies the gradient). Adafactor runs with the paper's defaults (factored,"
                + " relative step, parameter scaling, update clipping).\n\n"
                + "Ops · R/W: one more step of each optimizer, untimed, under PyTorch's profiler"
                + " (`EngineOpCount`): the top-level aten operations it launches (an op nested in"
                + " another, such as the `copy_` inside `to`, is not counted again) and the full-size"
                + " reads and writes they make (a tensor with the parameter's element count, or a block"
                + " of its rows counted as its share of them: each"
                + " such input is a read, unless the op only overwrites it, so `dot(g, g)` counts two;"
                + " an in-place op writes its"
                + " first input, an out-of-place one its output when that is full-size; reductions"
                + " and views write nothing). Every count includes `Trainer.step()`'s own gradient"
                + " copy (one op, 1R/1W); axpy is the floor. The fused kernels are JNI calls outside"
                + " the engine: the fused rows count only the aten ops around them.\n\n"
                + BenchReport.measuredOnCpu(engine)
                + fused
                + "\nThe same with Adafactor's fused CPU kernels turned off (engine operations:"
                + " what GPUs, half-precision parameters and jars built without a C compiler"
                + " use), in its own interleaved run:\n\n"
                + engineOps
                + "\nTop-level ops of the counted step by name, engine path:\n\n"
                + list(engineNames)
                + "\nFused path:\n\n"
                + list(fusedNames)
                + BenchReport.optimizerCommand("OptimizerStepBenchmark", args, "shapes", "1024x1024,1024");
        BenchReport.writeSection(Path.of("docs", "benchmarks.md"), "optimizer-step", body);
        System.out.println("wrote docs/benchmarks.md");
    }

    /** One line per optimizer and list of op names, with the shapes that had it. */
    private static String list(Map<String, List<String>> opNames) {
        StringBuilder out = new StringBuilder();
        for (Map.Entry<String, List<String>> e : opNames.entrySet()) {
            int colon = e.getKey().indexOf(": ");
            out.append("- ")
                    .append(e.getKey(), 0, colon)
                    .append(' ')
                    .append(String.join(", ", e.getValue()))
                    .append(e.getKey().substring(colon))
                    .append('\n');
        }
        return out.toString();
    }

    private static StringBuilder table() {
        return new StringBuilder()
                .append("| shape | Adafactor ms | Adam ms | axpy ms | Adafactor / Adam | Adafactor / axpy |")
                .append(" Adafactor state | Adam state | Adafactor ops · R/W | Adam ops · R/W | axpy ops · R/W |\n")
                .append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
    }

    /** Interleaves Adafactor, Adam and axpy on one shape and appends a row of medians to {@code table}. */
    private static void measure(
            Shape shape,
            boolean engineOps,
            int rounds,
            int warmup,
            StringBuilder table,
            Map<String, List<String>> opNames)
            throws IOException {
        List<Contender> contenders = new ArrayList<>();
        Contender adafactorContender =
                new Contender("Adafactor", shape, () -> Adafactor.builder().build());
        if (engineOps) {
            adafactorContender.properties = new String[] {"sublinear.adafactor.cpuKernels", "false"};
        }
        contenders.add(adafactorContender);
        contenders.add(new Contender("Adam", shape, () -> Adam.builder().build()));
        contenders.add(new Contender("axpy", shape, AxpyOptimizer::new));
        try {
            // at least a second as well: a small parameter's rounds take microseconds, too few for the
            // JIT to compile the host arithmetic of the CPU's engine path in 20 of them
            long warmStart = System.nanoTime();
            for (int i = 0; i < warmup || System.nanoTime() - warmStart < WARMUP_NANOS; i++) {
                for (Contender c : contenders) {
                    c.timedStep();
                }
            }
            long[][] times = new long[contenders.size()][rounds];
            for (int r = 0; r < rounds; r++) {
                for (int k = 0; k < contenders.size(); k++) {
                    // rotate who goes first so no contender always follows the same one
                    int index = (k + r) % contenders.size();
                    times[index][r] = contenders.get(index).timedStep();
                }
            }
            double adafactor = median(times[0]);
            double adam = median(times[1]);
            double axpy = median(times[2]);
            Adafactor optimizer = (Adafactor) adafactorContender.optimizer;
            // one more step of each, untimed, under the profiler: what it launches and moves
            List<String> counts = new ArrayList<>();
            for (Contender c : contenders) {
                EngineOpCount count = c.countedStep();
                counts.add(count.operations() + " · " + count.traffic(shape));
                System.out.printf(
                        Locale.ROOT,
                        "%s%s, %s: %s%n",
                        engineOps ? "engine ops " : "fused      ",
                        c.name,
                        shape,
                        count.byName());
                System.out.println("  time by op: " + count.timeByName());
                opNames.computeIfAbsent(c.name + ": " + count.byName(), k -> new ArrayList<>())
                        .add(shape.toString());
            }
            String row = String.format(
                    Locale.ROOT,
                    "| %s | %.3f | %.3f | %.3f | %.2f | %.2f | %s | %s | %s | %s | %s |%n",
                    shape,
                    adafactor,
                    adam,
                    axpy,
                    adafactor / adam,
                    adafactor / axpy,
                    bytes(optimizer.stateBytes()),
                    bytes(2L * Float.BYTES * shape.size()),
                    counts.get(0),
                    counts.get(1),
                    counts.get(2));
            table.append(row);
            System.out.print((engineOps ? "engine ops " : "fused      ") + row);
        } finally {
            for (Contender c : contenders) {
                c.close();
            }
        }
    }

    /** The shapes to run: all, or those named by -Dshapes=1024x1024,1024 (for profiling one). */
    private static List<Shape> shapes() {
        String only = System.getProperty("shapes");
        if (only == null) {
            return List.of(SHAPES);
        }
        List<Shape> chosen = new ArrayList<>();
        for (String spec : only.split(",")) {
            chosen.add(new Shape(
                    Arrays.stream(spec.split("x")).mapToLong(Long::parseLong).toArray()));
        }
        return chosen;
    }

    private static double median(long[] nanos) {
        long[] sorted = nanos.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2] / 1e6;
    }

    private static String bytes(long bytes) {
        if (bytes >= 1 << 20) {
            return String.format(Locale.ROOT, "%.1f MiB", bytes / (double) (1 << 20));
        }
        if (bytes >= 1 << 10) {
            return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        }
        return bytes + " B";
    }

    /** One model with one parameter of the given shape, trained by one optimizer. */
    private static final class Contender implements AutoCloseable {
        final Optimizer optimizer;
        final String name;
        /** A system property set while this contender steps (name, value), or null. */
        String[] properties;

        private final Model model;
        private final Trainer trainer;
        private final NDArray weight;
        private final NDArray source;

        Contender(String name, Shape shape, Supplier<Optimizer> optimizerFactory) {
            this.name = name;
            optimizer = optimizerFactory.get();
            model = Model.newInstance(name);
            model.setBlock(new SingleParameterBlock(shape));
            trainer = model.newTrainer(new DefaultTrainingConfig(Loss.l2Loss()).optOptimizer(optimizer));
            trainer.initialize(new Shape(1));
            weight = model.getBlock().getParameters().get("weight").getArray();
            NDManager manager = model.getNDManager();
            source = manager.randomNormal(0f, 1e-2f, shape, DataType.FLOAT32);
            // One real backward pass so the parameter has a gradient tensor to refill.
            try (GradientCollector collector = trainer.newGradientCollector()) {
                NDArray out =
                        trainer.forward(new NDList(manager.ones(new Shape(1)))).singletonOrThrow();
                collector.backward(out.sum());
            }
        }

        long timedStep() {
            refill();
            if (properties != null) {
                System.setProperty(properties[0], properties[1]);
            }
            try {
                long start = System.nanoTime();
                trainer.step();
                return System.nanoTime() - start;
            } finally {
                if (properties != null) {
                    System.clearProperty(properties[0]);
                }
            }
        }

        /** One step as {@link #timedStep} takes it, under the profiler instead of the clock. */
        EngineOpCount countedStep() throws IOException {
            refill();
            if (properties != null) {
                System.setProperty(properties[0], properties[1]);
            }
            try {
                return EngineOpCount.profile(trainer::step);
            } finally {
                if (properties != null) {
                    System.clearProperty(properties[0]);
                }
            }
        }

        private void refill() {
            try (NDArray gradient = weight.getGradient()) {
                gradient.set(ALL, source);
            }
        }

        @Override
        public void close() {
            if (optimizer instanceof AutoCloseable) {
                try {
                    ((AutoCloseable) optimizer).close();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }
            trainer.close();
            model.close();
        }
    }

    /** A block whose output is its one parameter times the input, summed. */
    private static final class SingleParameterBlock extends AbstractBlock {
        private final Parameter weight;

        SingleParameterBlock(Shape shape) {
            weight = addParameter(Parameter.builder()
                    .setName("weight")
                    .setType(Parameter.Type.WEIGHT)
                    .optShape(shape)
                    .build());
            // Xavier needs two dimensions; a vector parameter starts from a plain normal.
            if (shape.dimension() < 2) {
                weight.setInitializer(new NormalInitializer(0.1f));
            }
        }

        @Override
        protected NDList forwardInternal(
                ParameterStore store, NDList inputs, boolean training, PairList<String, Object> params) {
            NDArray w = store.getValue(weight, inputs.head().getDevice(), training);
            return new NDList(w.sum().mul(inputs.head()));
        }

        @Override
        public Shape[] getOutputShapes(Shape[] inputShapes) {
            return inputShapes;
        }
    }

    /** W -= lr * G in place on the gradient copy the parameter server hands over. */
    private static final class AxpyOptimizer extends Optimizer {
        AxpyOptimizer() {
            super(new Builder());
        }

        @Override
        public void update(String parameterId, NDArray weight, NDArray grad) {
            weight.subi(grad.muli(1e-3f));
            JniUtils.zeroGrad((PtNDArray) weight);
        }

        private static final class Builder extends OptimizerBuilder<Builder> {
            @Override
            protected Builder self() {
                return this;
            }
        }
    }
}
