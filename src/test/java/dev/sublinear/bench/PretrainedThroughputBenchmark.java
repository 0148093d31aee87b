package dev.sublinear.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import ai.djl.training.DefaultTrainingConfig;
import ai.djl.training.GradientCollector;
import ai.djl.training.Trainer;
import dev.sublinear.optimizer.Adafactor;
import dev.sublinear.testing.TinyHfModels;
import dev.sublinear.testing.TinyHfModels.Gpt2Size;
import dev.sublinear.training.SyntheticData;
import dev.sublinear.training.data.DatasetReader;
import dev.sublinear.training.data.Encoder;
import dev.sublinear.training.data.Example;
import dev.sublinear.training.data.TaskType;
import dev.sublinear.training.data.TrainingData;
import dev.sublinear.training.model.LoadedModel;
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
import dev.sublinear.training.weights.WeightType;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;

/**
 * Training throughput of a Hugging Face GPT-2 through {@link TrainingRun} against a PyTorch eager
 * loop ({@code src/test/python/gpt2_train_eager.py}: the same architecture, written from
 * transformers' modeling_gpt2, trained with Adafactor at docs/adafactor.md's defaults), same sizes,
 * batch, sequence length, loss mask, steps and thread count, and against a bare DJL loop over the same
 * loaded model (forward, backward and optimizer step timed apart, beside the script's own split).
 * Rounds rotate the three in one run; tokens per second are counted over steps 2 to N in all.
 *
 * <p>Run: {@code ./mvnw -B -q -o test-compile org.codehaus.mojo:exec-maven-plugin:3.5.0:java
 * -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.sublinear.bench.PretrainedThroughputBenchmark}
 */
public final class PretrainedThroughputBenchmark {

    static final Gpt2Size SIZE = new Gpt2Size(8192, 256, 256, 4, 4, 0.02);
    static final int BATCH = 8;
    static final int PROMPT = 64;
    static final int SEQ = 128; // 64 prompt + 64 completion + end of text, less the last target
    static final int STEPS = 10;
    static final long SEED = 7;
    static final String PYTHON = "/usr/bin/python3";
    private static final Path SCRIPT = Path.of("src", "test", "python", "gpt2_train_eager.py");
    /**
     * Folders put before the script's {@code LD_LIBRARY_PATH}: Debian's torch takes {@code
     * libblas.so.3}, the reference BLAS unless an optimised one is found first.
     */
    private static final String TORCH_LIBRARY_PATH = "BENCH_TORCH_LIBRARY_PATH";

    private PretrainedThroughputBenchmark() {}

    public static void main(String[] args) throws Exception {
        Engine engine = BenchReport.startEngine();
        int repeats = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        int threads = Runtime.getRuntime().availableProcessors();
        Path dir = Files.createTempDirectory("pretrained-throughput");
        Path model = TinyHfModels.gpt2(dir.resolve("gpt2"), SIZE, WeightType.F32, SEED);
        Path train = data(dir.resolve("train.jsonl"), BATCH * STEPS);

        double[] java = new double[repeats];
        double[] bare = new double[repeats];
        double[] torch = new double[repeats];
        java(model, train, dir.resolve("warm")); // warm-up: JIT, allocator, the native libraries
        bareLoop(model, train);
        String[] torchLine = new String[1];
        double[] split = null;
        for (int r = 0; r < repeats; r++) {
            for (int k = 0; k < 3; k++) {
                switch ((r + k) % 3) {
                    case 0 -> java[r] = java(model, train, dir.resolve("run" + r));
                    case 1 -> {
                        split = bareLoop(model, train);
                        bare[r] = (double) BATCH * SEQ * (STEPS - 1) / (split[0] + split[1] + split[2]);
                    }
                    default -> torch[r] = torch(threads, torchLine);
                }
            }
            System.out.printf(
                    Locale.ROOT,
                    "round %d: TrainingRun %.0f tokens/s, bare DJL loop %.0f tokens/s, PyTorch %.0f tokens/s%n",
                    r,
                    java[r],
                    bare[r],
                    torch[r]);
        }
        Map<String, String> python = fields(torchLine[0]);
        double javaMedian = median(java);
        double torchMedian = median(torch);
        int steps = STEPS - 1;
        String body = "## Training throughput: a Hugging Face GPT-2 through TrainingRun and in PyTorch eager\n\n"
                + String.format(
                        Locale.ROOT,
                        "Tokens per second over steps 2 to %d of a GPT-2 (%d blocks, n_embd %d, %d heads, %d"
                                + " positions, vocabulary %d: %,d parameters, float32, random weights) at batch %d"
                                + " and sequence length %d (a %d-token prompt, the loss on the rest), Adafactor at"
                                + " the paper's defaults, %d threads: through `TrainingRun`"
                                + " (`ModelSource.Saved`, the model loaded from its safetensors) and through a"
                                + " PyTorch eager loop (`src/test/python/gpt2_train_eager.py`: the forward of"
                                + " `gpt2_reference.py`, written from transformers' modeling_gpt2, masked"
                                + " cross-entropy, backward, an Adafactor written from docs/adafactor.md).",
                        STEPS,
                        SIZE.layers(),
                        SIZE.width(),
                        SIZE.heads(),
                        SIZE.positions(),
                        SIZE.vocab(),
                        SIZE.parameters(),
                        BATCH,
                        SEQ,
                        PROMPT,
                        threads)
                + " Beside them, a bare DJL loop over the same loaded model (`trainer.forward` and the loss,"
                + " `backward`, `Trainer.step()`, no listener or checkpoint), timed apart. " + repeats
                + " rounds in one run, the three paths' order rotating (a warm-up round of both Java paths first),"
                + " medians; each PyTorch round is a fresh `" + PYTHON + "` process, its first step not"
                + " counted either.\n\n"
                + "Measured " + LocalDate.now() + " on " + BenchReport.machine() + "; Java side "
                + engine.getEngineName() + " " + engine.getVersion() + " (DJL's libtorch), CPU; Python side torch "
                + python.get("torch") + " (`torch.__version__`), CPU, `torch.set_num_threads(" + threads
                + ")`, BLAS `" + python.get("blas") + "`" + blasNote() + ".\n\n"
                + "| path | tokens/s (median) | best round | per round |\n| --- | ---: | ---: | --- |\n"
                + String.format(
                        Locale.ROOT, "| TrainingRun (Java) | %.0f | %.0f | %s |%n", javaMedian, max(java), rounds(java))
                + String.format(
                        Locale.ROOT,
                        "| bare DJL loop (Java) | %.0f | %.0f | %s |%n",
                        median(bare),
                        max(bare),
                        rounds(bare))
                + String.format(
                        Locale.ROOT, "| PyTorch eager | %.0f | %.0f | %s |%n", torchMedian, max(torch), rounds(torch))
                + String.format(
                        Locale.ROOT,
                        "%nJava (TrainingRun) / PyTorch: **%.2f** (target: at least 0.9). Bare DJL loop / PyTorch:"
                                + " %.2f. TrainingRun / bare DJL loop: %.2f. The same ratios of the best rounds (the"
                                + " least disturbed by other work on the machine): %.2f, %.2f, %.2f.%n",
                        javaMedian / torchMedian,
                        median(bare) / torchMedian,
                        javaMedian / median(bare),
                        max(java) / max(torch),
                        max(bare) / max(torch),
                        max(java) / max(bare))
                + String.format(
                        Locale.ROOT,
                        "%nWhere a step's time goes (seconds a step, over steps 2 to %d of the last round of"
                                + " each).%n%n"
                                + "| path | forward + loss | backward | optimizer step | tokens/s |%n"
                                + "| --- | ---: | ---: | ---: | ---: |%n"
                                + "| bare DJL loop | %.3f | %.3f | %.3f | %.0f |%n"
                                + "| PyTorch eager | %.3f | %.3f | %.3f | %.0f |%n",
                        STEPS,
                        split[0] / steps,
                        split[1] / steps,
                        split[2] / steps,
                        (double) BATCH * SEQ * steps / (split[0] + split[1] + split[2]),
                        Double.parseDouble(python.get("forward_s")) / steps,
                        Double.parseDouble(python.get("backward_s")) / steps,
                        Double.parseDouble(python.get("optimizer_s")) / steps,
                        Double.parseDouble(python.get("tokens_per_s")))
                + "\nCommand: `" + commandPrefix()
                + "./mvnw -B -q -o test-compile org.codehaus.mojo:exec-maven-plugin:3.5.0:java"
                + " -Dexec.classpathScope=test"
                + " -Dexec.mainClass=dev.sublinear.bench.PretrainedThroughputBenchmark"
                + (repeats == 3 ? "" : " -Dexec.args=" + repeats)
                + "`\n";
        BenchReport.writeSection(Path.of("docs", "benchmarks.md"), "pretrained-throughput", body);
        System.out.printf(
                Locale.ROOT,
                "java/torch = %.3f; split java %s, python %s; wrote docs/benchmarks.md%n",
                javaMedian / torchMedian,
                Arrays.toString(split),
                torchLine[0]);
    }

    /** Tokens per second through TrainingRun, over steps 2..N (loading and the final checkpoint excluded). */
    private static double java(Path model, Path train, Path dir) throws Exception {
        long[] window = new long[3]; // first step's end, last step's end, tokens after the first step
        TrainingSpec spec = new TrainingSpec(
                TaskType.CAUSAL_LM,
                new ModelSource.Saved(model),
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
                        if (report.throughput().tokens() != (long) BATCH * SEQ) {
                            throw new IllegalStateException("a step of "
                                    + report.throughput().tokens() + " tokens, not " + BATCH + " x " + SEQ);
                        }
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

    /** One round of the PyTorch script in a fresh process; its output line goes to {@code line[0]}. */
    static double torch(int threads, String[] line) throws Exception {
        List<String> command = new ArrayList<>(List.of(PYTHON, SCRIPT.toString()));
        int[] values = {
            SIZE.layers(),
            SIZE.width(),
            SIZE.heads(),
            SIZE.vocab(),
            SIZE.positions(),
            BATCH,
            SEQ,
            PROMPT,
            STEPS,
            threads
        };
        String[] names = {"layers", "width", "heads", "vocab", "positions", "batch", "seq", "prompt", "steps", "threads"
        };
        for (int i = 0; i < names.length; i++) {
            command.add("--" + names[i]);
            command.add(Integer.toString(values[i]));
        }
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
        String libraries = System.getenv(TORCH_LIBRARY_PATH);
        if (libraries != null && !libraries.isBlank()) {
            String inherited = System.getenv("LD_LIBRARY_PATH");
            builder.environment().put("LD_LIBRARY_PATH", inherited == null ? libraries : libraries + ":" + inherited);
        }
        builder.environment().put("OPENBLAS_NUM_THREADS", Integer.toString(threads));
        builder.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
        Process process = builder.start();
        String last = null;
        StringBuilder all = new StringBuilder();
        try (BufferedReader out =
                new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
            String l;
            while ((l = out.readLine()) != null) {
                all.append(l).append('\n');
                if (l.startsWith("tokens_per_s=")) {
                    last = l;
                }
            }
        }
        if (process.waitFor() != 0 || last == null) {
            throw new IllegalStateException("gpt2_train_eager.py failed:\n" + all);
        }
        line[0] = last;
        return Double.parseDouble(fields(last).get("tokens_per_s"));
    }

    /** Seconds in forward (with the loss), backward and the optimizer step over steps 2..N of a bare DJL loop. */
    private static double[] bareLoop(Path modelDir, Path train) throws Exception {
        double[] split = new double[3];
        try (LoadedModel model = LoadedModel.load(modelDir, Device.cpu());
                Adafactor adafactor = Adafactor.builder().build()) {
            TrainingData data;
            try (InputStream in = Files.newInputStream(train)) {
                data = new DatasetReader(
                                TaskType.CAUSAL_LM,
                                model.tokenizer(),
                                model.config().contextLength(),
                                2)
                        .read(in, null);
            }
            Encoder encoder = new Encoder(model.tokenizer(), model.config().contextLength(), List.of());
            List<Encoder.Encoded> encoded = new ArrayList<>();
            for (Example e : data.training()) {
                encoded.add(encoder.encode(e));
            }
            Batches batches =
                    new Batches(encoded, BATCH, SEED, model.tokenizer().padId(), true);
            for (Parameter p : model.block().getParameters().values()) {
                if (p.requiresGradient() && !p.getArray().hasGradient()) {
                    p.getArray().setRequiresGradient(true);
                }
            }
            DefaultTrainingConfig config = new DefaultTrainingConfig(new MaskedCrossEntropy()).optOptimizer(adafactor);
            try (Trainer trainer = model.model().newTrainer(config)) {
                for (int step = 0; step < STEPS; step++) {
                    try (NDManager scope = trainer.getManager().newSubManager()) {
                        Batches.Arrays arrays = Batches.toArrays(
                                scope, batches.batch(1, step), model.tokenizer().padId());
                        long t0 = System.nanoTime();
                        long t1;
                        long t2;
                        try (GradientCollector collector = trainer.newGradientCollector()) {
                            NDList predictions = trainer.forward(arrays.inputs(), arrays.labels());
                            NDArray loss = trainer.getLoss().evaluate(arrays.labels(), predictions);
                            loss.getFloat(); // the value exists: the forward is done
                            t1 = System.nanoTime();
                            collector.backward(loss);
                            t2 = System.nanoTime();
                        }
                        trainer.step();
                        long t3 = System.nanoTime();
                        if (step > 0) {
                            split[0] += (t1 - t0) / 1e9;
                            split[1] += (t2 - t1) / 1e9;
                            split[2] += (t3 - t2) / 1e9;
                        }
                    }
                }
            }
        }
        return split;
    }

    /** Prompt/completion examples of exactly 64 + 64 byte-level tokens (letters the fixture never merges). */
    static Path data(Path file, int examples) throws Exception {
        Random random = new Random(SEED);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < examples; i++) {
            lines.add("{\"prompt\": \"" + BenchReport.letters(random, PROMPT) + "\", \"completion\": \""
                    + BenchReport.letters(random, SEQ - PROMPT) + "\"}");
        }
        return SyntheticData.write(file, lines);
    }

    static String commandPrefix() {
        String libraries = System.getenv(TORCH_LIBRARY_PATH);
        return libraries == null || libraries.isBlank() ? "" : TORCH_LIBRARY_PATH + "=" + libraries + " ";
    }

    /** How the script's BLAS came to be, when the environment chose it. */
    static String blasNote() {
        String libraries = System.getenv(TORCH_LIBRARY_PATH);
        if (libraries == null || libraries.isBlank()) {
            return " (the system's libblas.so.3)";
        }
        return " (`" + TORCH_LIBRARY_PATH + "=" + libraries + "` before `LD_LIBRARY_PATH`: Debian's torch is built"
                + " with `BLAS_INFO=generic` and takes whichever `libblas.so.3` comes first; this machine's is the"
                + " reference BLAS, about 20 times slower at a 1024 x 256 x 1024 matmul than OpenBLAS 0.3.21 from"
                + " Debian's `libopenblas0-pthread`, unpacked with `apt-get download` and `dpkg -x`)";
    }

    static Map<String, String> fields(String line) {
        Map<String, String> map = new HashMap<>();
        for (String part : line.trim().split("\\s+")) {
            int eq = part.indexOf('=');
            if (eq > 0) {
                map.put(part.substring(0, eq), part.substring(eq + 1));
            }
        }
        return map;
    }

    static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    static double max(double[] values) {
        return Arrays.stream(values).max().orElse(Double.NaN);
    }

    static String rounds(double[] values) {
        List<String> parts = new ArrayList<>();
        for (double v : values) {
            parts.add(String.format(Locale.ROOT, "%.0f", v));
        }
        return String.join(", ", parts);
    }
}
