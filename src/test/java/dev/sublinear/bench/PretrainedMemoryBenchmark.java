package dev.sublinear.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dev.sublinear.testing.TinyHfModels;
import dev.sublinear.testing.TinyHfModels.Gpt2Size;
import dev.sublinear.training.SyntheticData;
import dev.sublinear.training.data.TaskType;
import dev.sublinear.training.run.DirectoryCheckpointStore;
import dev.sublinear.training.run.ModelSource;
import dev.sublinear.training.run.OptimizerConfig;
import dev.sublinear.training.run.RunControl;
import dev.sublinear.training.run.RunOutcome;
import dev.sublinear.training.run.StepReport;
import dev.sublinear.training.run.TrainingListener;
import dev.sublinear.training.run.TrainingPlan;
import dev.sublinear.training.run.TrainingRun;
import dev.sublinear.training.run.TrainingSpec;
import dev.sublinear.training.weights.WeightType;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Random;

/**
 * Memory of fine-tuning a GPT-2-small-size Hugging Face model (124M parameters, random weights,
 * float32) through {@link TrainingRun} with Adafactor (defaults) and with AdamW, each run in a JVM of
 * its own so that neither inherits the other's peak resident memory. Optimizer state bytes and the
 * process's resident memory are those the job's own {@link StepReport}s carry; the peak is the
 * kernel's high-water mark ({@code VmHWM}) read in the last step's report, before the final
 * checkpoint, and again after the run.
 *
 * <p>Run: {@code ./mvnw -B -q -o test-compile org.codehaus.mojo:exec-maven-plugin:3.5.0:java
 * -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.sublinear.bench.PretrainedMemoryBenchmark}
 */
public final class PretrainedMemoryBenchmark {

    private static final int STEPS = 4;
    private static final int BATCH = 4;
    private static final String HEAP = "-Xmx2g";
    private static final long SEED = 11;

    private PretrainedMemoryBenchmark() {}

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("child")) {
            child(args[1], Path.of(args[2]), Path.of(args[3]), Path.of(args[4]), Path.of(args[5]));
            return;
        }
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        Path dir = Files.createTempDirectory("pretrained-memory");
        long started = System.nanoTime();
        Path model = TinyHfModels.gpt2(dir.resolve("gpt2-small"), Gpt2Size.SMALL, WeightType.F32, SEED);
        long fileBytes = Files.size(model.resolve("model.safetensors"));
        Path train = promptCompletion(dir.resolve("train.jsonl"), 4 * BATCH * STEPS);
        System.out.printf(
                Locale.ROOT,
                "wrote %s (%s) in %.1f s%n",
                model,
                BenchReport.mib(fileBytes),
                (System.nanoTime() - started) / 1e9);

        Map<String, List<Properties>> results = new LinkedHashMap<>();
        results.put("adafactor", new ArrayList<>());
        results.put("adamw", new ArrayList<>());
        for (int r = 0; r < rounds; r++) {
            List<String> order = r % 2 == 0 ? List.of("adafactor", "adamw") : List.of("adamw", "adafactor");
            for (String optimizer : order) {
                Path out = dir.resolve(optimizer + "-" + r + ".properties");
                List<String> command = BenchReport.childJvm(
                        List.of(HEAP),
                        PretrainedMemoryBenchmark.class,
                        List.of(
                                "child",
                                optimizer,
                                model.toString(),
                                train.toString(),
                                dir.resolve(optimizer + "-" + r).toString(),
                                out.toString()));
                Process process = new ProcessBuilder(command).inheritIO().start();
                int rc = process.waitFor();
                if (rc != 0) {
                    throw new IllegalStateException(optimizer + " child exited with " + rc);
                }
                Properties p = new Properties();
                try (Reader in = Files.newBufferedReader(out)) {
                    p.load(in);
                }
                results.get(optimizer).add(p);
                System.out.println(optimizer + " round " + r + ": " + p);
            }
        }
        Engine engine = BenchReport.startEngine();
        report(results, fileBytes, rounds, engine);
    }

    private static void report(Map<String, List<Properties>> results, long fileBytes, int rounds, Engine engine)
            throws IOException {
        Properties ada = results.get("adafactor").get(0);
        Properties adamw = results.get("adamw").get(0);
        long adaState = num(ada, "stateBytes");
        long adamwState = num(adamw, "stateBytes");
        long adaPeak = maxOver(results.get("adafactor"), "hwmTraining");
        long adamwPeak = maxOver(results.get("adamw"), "hwmTraining");
        long parameterBytes = num(ada, "parameterBytes");
        StringBuilder body = new StringBuilder();
        body.append("## Memory: GPT-2 small (124M) fine-tuned with Adafactor and with AdamW\n\n")
                .append("A Hugging Face GPT-2 directory of GPT-2 small's sizes (")
                .append(String.format(Locale.ROOT, "%,d", Gpt2Size.SMALL.parameters()))
                .append(" parameters, n_embd 768, 12 layers, 12 heads, 1024 positions, vocabulary 50257; random"
                        + " normal(0, 0.02) weights, float32, ")
                .append(BenchReport.mib(fileBytes))
                .append(" of safetensors) fine-tuned through `TrainingRun` (`ModelSource.Saved`) for ")
                .append(STEPS)
                .append(" steps of batch ")
                .append(BATCH)
                .append(" on prompt/completion data of about 128 tokens an example, once with Adafactor (the"
                        + " paper's defaults) and once with AdamW (lr 1e-4, weight decay 0.01), each in a JVM of"
                        + " its own (`")
                .append(HEAP)
                .append("`), ")
                .append(rounds)
                .append(rounds == 1 ? " round" : " alternating rounds")
                .append(". State bytes are the job's `StepReport.optimizerMemory()`; resident memory is the"
                        + " job's `StepReport.memory().residentBytes()` (largest over the steps) and the"
                        + " process's peak resident memory (`VmHWM`) read in the last step's report, before the"
                        + " final checkpoint (loading included), and after the run (checkpoint included).\n\n")
                .append(BenchReport.measuredOn(engine))
                .append(", CPU.\n\n")
                .append("| optimizer | state | Adam-equivalent state | resident before the run | VmHWM at step 1"
                        + " | largest `residentBytes` in steps | peak resident (VmHWM) to the last step | VmHWM after"
                        + " the run | largest heap in steps | seconds |\n")
                .append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (Map.Entry<String, List<Properties>> e : results.entrySet()) {
            for (Properties p : e.getValue()) {
                body.append(String.format(
                        Locale.ROOT,
                        "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %.0f |%n",
                        e.getKey(),
                        BenchReport.mib(num(p, "stateBytes")),
                        BenchReport.mib(num(p, "adamEquivalentBytes")),
                        BenchReport.mib(num(p, "rssBeforeRun")),
                        BenchReport.mib(num(p, "hwmFirstStep")),
                        BenchReport.mib(num(p, "maxResident")),
                        BenchReport.mib(num(p, "hwmTraining")),
                        BenchReport.mib(num(p, "hwmEnd")),
                        BenchReport.mib(num(p, "maxHeap")),
                        Double.parseDouble(p.getProperty("seconds"))));
            }
        }
        double stateRatio = (double) adaState / adamwState;
        double peakRatio = (double) adaPeak / adamwPeak;
        body.append(String.format(
                        Locale.ROOT,
                        "%nAdafactor state / AdamW state: **%.3f%%** (%s / %s; target: at most 1%%).%n",
                        100 * stateRatio,
                        BenchReport.mib(adaState),
                        BenchReport.mib(adamwState)))
                .append(String.format(
                        Locale.ROOT,
                        "%nPeak resident memory, Adafactor / AdamW: **%.2f** (%s / %s; target: at most 0.75).%n",
                        peakRatio,
                        BenchReport.mib(adaPeak),
                        BenchReport.mib(adamwPeak)))
                .append(String.format(
                        Locale.ROOT,
                        "%nWhere the memory goes: the parameters are %s and their gradients as much again; AdamW"
                                + " adds %s of state, Adafactor %s. The difference in peak resident memory,"
                                + " %s, is AdamW's state and the temporaries of its update; the rest of both peaks"
                                + " is the JVM and libtorch, the weights, their gradients, and the activations of"
                                + " a batch (the logits alone are %d x 128 x 50257 floats, %s, with the"
                                + " softmax's and the loss's copies of the same size).%n",
                        BenchReport.mib(parameterBytes),
                        BenchReport.mib(adamwState),
                        BenchReport.mib(adaState),
                        BenchReport.mib(adamwPeak - adaPeak),
                        BATCH,
                        BenchReport.mib(4L * BATCH * 128 * 50257)))
                .append("\nCommand: `./mvnw -B -q -o test-compile org.codehaus.mojo:exec-maven-plugin:3.5.0:java"
                        + " -Dexec.classpathScope=test"
                        + " -Dexec.mainClass=dev.sublinear.bench.PretrainedMemoryBenchmark`\n");
        BenchReport.writeSection(Path.of("docs", "benchmarks.md"), "pretrained-memory", body.toString());
        System.out.printf(
                Locale.ROOT, "state ratio %.5f, peak ratio %.3f; wrote docs/benchmarks.md%n", stateRatio, peakRatio);
    }

    /** One run in this JVM; what its step reports say goes to {@code out}. */
    private static void child(String optimizer, Path model, Path train, Path work, Path out) throws Exception {
        BenchReport.startEngine();
        long[] seen = new long[8]; // state, adam, params, max resident, max heap, hwm at the last step
        long rssBefore = BenchReport.procStatusBytes("VmRSS");
        long start = System.nanoTime();
        OptimizerConfig config =
                optimizer.equals("adafactor") ? OptimizerConfig.adafactor() : OptimizerConfig.adamw(1e-4f, 0.01f);
        TrainingSpec spec = new TrainingSpec(
                TaskType.CAUSAL_LM,
                new ModelSource.Saved(model),
                train,
                null,
                new TrainingPlan(1, BATCH, STEPS, 1, 0, 0, 1),
                config,
                new Device[] {Device.cpu()},
                SEED,
                new DirectoryCheckpointStore(work),
                null,
                null);
        float[] loss = new float[1];
        long[] tokens = new long[1];
        RunOutcome outcome = new TrainingRun(spec, new RunControl(), new TrainingListener() {
                    @Override
                    public void onStep(StepReport report) {
                        if (report.progress().step() == 1) {
                            seen[6] = BenchReport.procStatusBytes("VmHWM"); // after load and the first step
                        }
                        seen[0] = report.optimizerMemory().stateBytes();
                        seen[1] = report.optimizerMemory().adamEquivalentBytes();
                        seen[2] = report.optimizerMemory().parameterBytes();
                        seen[3] = Math.max(seen[3], report.memory().residentBytes());
                        seen[4] = Math.max(seen[4], report.memory().heapBytes());
                        seen[5] = BenchReport.procStatusBytes("VmHWM");
                        loss[0] = report.trainLoss();
                        tokens[0] += report.throughput().tokens();
                        System.out.printf(
                                Locale.ROOT,
                                "[%s] step %d loss %.3f tokens %d resident %s VmHWM %s%n",
                                optimizer,
                                report.progress().step(),
                                report.trainLoss(),
                                report.throughput().tokens(),
                                BenchReport.mib(report.memory().residentBytes()),
                                BenchReport.mib(seen[5]));
                    }
                })
                .run();
        if (outcome.status() != RunOutcome.Status.COMPLETED) {
            throw new IllegalStateException(optimizer + ": " + outcome);
        }
        Properties p = new Properties();
        p.setProperty("stateBytes", Long.toString(seen[0]));
        p.setProperty("adamEquivalentBytes", Long.toString(seen[1]));
        p.setProperty("parameterBytes", Long.toString(seen[2]));
        p.setProperty("maxResident", Long.toString(seen[3]));
        p.setProperty("maxHeap", Long.toString(seen[4]));
        p.setProperty("hwmTraining", Long.toString(seen[5]));
        p.setProperty("hwmFirstStep", Long.toString(seen[6]));
        p.setProperty("hwmEnd", Long.toString(BenchReport.procStatusBytes("VmHWM")));
        p.setProperty("rssBeforeRun", Long.toString(rssBefore));
        p.setProperty("loss", Float.toString(loss[0]));
        p.setProperty("tokens", Long.toString(tokens[0]));
        p.setProperty("seconds", Double.toString((System.nanoTime() - start) / 1e9));
        try (Writer w = Files.newBufferedWriter(out)) {
            p.store(w, optimizer);
        }
    }

    /** Prompt/completion examples of about 128 byte-level tokens: 64 letters, then 63 more. */
    static Path promptCompletion(Path file, int examples) throws IOException {
        Random random = new Random(SEED);
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < examples; i++) {
            lines.add("{\"prompt\": \"" + BenchReport.letters(random, 64) + "\", \"completion\": \""
                    + BenchReport.letters(random, 63) + "\"}");
        }
        return SyntheticData.write(file, lines);
    }

    private static long num(Properties p, String key) {
        return Long.parseLong(p.getProperty(key));
    }

    private static long maxOver(List<Properties> runs, String key) {
        return runs.stream().mapToLong(p -> num(p, key)).max().orElse(-1);
    }
}
