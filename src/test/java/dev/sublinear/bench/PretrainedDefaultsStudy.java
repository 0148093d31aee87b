package dev.sublinear.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import com.google.gson.JsonObject;
import dev.sublinear.training.data.TaskType;
import dev.sublinear.training.model.LoadedModel;
import dev.sublinear.training.model.bert.MiniLm;
import dev.sublinear.training.model.bert.TopicSentences;
import dev.sublinear.training.run.DirectoryCheckpointStore;
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
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Which optimizer settings a job should get by default when its base is a pretrained model: all-MiniLM-L6-v2
 * ({@link MiniLm}) fine-tuned through {@link TrainingRun} as a sports/cooking classifier ({@link
 * TopicSentences}: 80 training, 40 held-out sentences) under Adafactor's paper defaults (relative step,
 * parameter scaling), Adafactor at fixed rates without and with parameter scaling, with and without
 * warm-up, and AdamW at Hugging Face Trainer's rates; each scored on the held-out sentences with the saved
 * model's classify (accuracy and mean cross-entropy, -log p(true label)).
 *
 * <p>The first seed runs every setting (the warm-up run takes the fixed rate with the lowest held-out loss);
 * further seeds repeat them in the same order while the time budget lasts. The section is rewritten after
 * every run, so an interrupted study still leaves what it measured.
 *
 * <p>Run: {@code ./mvnw -B -q -o test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.sublinear.bench.PretrainedDefaultsStudy [-Dexec.args="BUDGET_MINUTES SEED,SEED"]}
 * (defaults: 22 minutes, seeds 7,8). Needs /usr/bin/python3 with python3-onnx, as BertFineTuningTest.
 */
public final class PretrainedDefaultsStudy {

    private static final int BATCH = 16;
    private static final int EPOCHS = 4;
    private static final int STEPS = 20;
    private static final int WARMUP = STEPS / 10;
    private static final float[] FIXED_RATES = {1e-3f, 3e-4f, 1e-4f, 3e-5f};

    private final Path work;
    private final Path base;
    private final Path train;
    private final Map<String, Setting> settings = new LinkedHashMap<>();
    private final List<Long> seeds;
    private String engineLine;
    private long started;

    /** One optimizer setting and its results, one per seed. */
    private record Setting(String label, OptimizerConfig optimizer, List<Result> results) {}

    /** What one run gave. */
    private record Result(long seed, double accuracy, double heldOutLoss, double trainLoss, double seconds) {}

    private PretrainedDefaultsStudy(Path work, Path base, Path train, List<Long> seeds) {
        this.work = work;
        this.base = base;
        this.train = train;
        this.seeds = seeds;
    }

    public static void main(String[] args) throws Exception {
        Engine engine = BenchReport.startEngine();
        double budgetMinutes = args.length > 0 ? Double.parseDouble(args[0]) : 22;
        List<Long> seeds = Stream.of((args.length > 1 ? args[1] : "7,8").split(","))
                .map(Long::parseLong)
                .toList();
        Path work = Files.createTempDirectory("pretrained-defaults");
        Path base = MiniLm.convert(work);
        Path train = jsonl(TopicSentences.train(), work.resolve("train.jsonl"));
        PretrainedDefaultsStudy study = new PretrainedDefaultsStudy(work, base, train, seeds);
        study.engineLine = engine.getEngineName() + " " + engine.getVersion();
        study.started = System.nanoTime();
        study.run(budgetMinutes * 60);
    }

    private void run(double budgetSeconds) throws Exception {
        OptimizerConfig fixed = OptimizerConfig.adafactor()
                .withOptions(b -> b.optRelativeStep(false).optScaleParameter(false));
        long first = seeds.get(0);
        measure(
                "Adafactor paper defaults: relative step, scale_parameter (today's default)",
                OptimizerConfig.adafactor(),
                first);
        for (float rate : FIXED_RATES) {
            measure(
                    String.format(Locale.ROOT, "Adafactor fixed lr %s, no scaling, constant", rate(rate)),
                    fixed.withLearningRate(LearningRate.constant(rate)),
                    first);
        }
        Setting bestFixed = settings.values().stream()
                .filter(s -> s.label().contains("constant"))
                .min(Comparator.comparingDouble(s -> mean(s, Result::heldOutLoss)))
                .orElseThrow();
        float bestRate = bestFixed.optimizer().learningRate().peak();
        measure(
                String.format(
                        Locale.ROOT,
                        "Adafactor fixed lr %s, no scaling, %d warm-up steps then linear decay",
                        rate(bestRate),
                        WARMUP),
                fixed.withLearningRate(new LearningRate(LearningRate.Schedule.LINEAR, bestRate, WARMUP)),
                first);
        measure(
                "Adafactor fixed lr 1e-3, scale_parameter on, constant",
                OptimizerConfig.adafactor()
                        .withOptions(b -> b.optRelativeStep(false).optScaleParameter(true))
                        .withLearningRate(LearningRate.constant(1e-3f)),
                first);
        measure("AdamW lr 5e-5, weight decay 0.01, constant", OptimizerConfig.adamw(5e-5f, 0.01f), first);
        measure("AdamW lr 2e-5, weight decay 0.01, constant", OptimizerConfig.adamw(2e-5f, 0.01f), first);

        for (long seed : seeds.subList(1, seeds.size())) {
            for (Setting s : List.copyOf(settings.values())) {
                double elapsed = (System.nanoTime() - started) / 1e9;
                double perRun = settings.values().stream()
                        .flatMap(x -> x.results().stream())
                        .mapToDouble(Result::seconds)
                        .max()
                        .orElse(0);
                if (elapsed + perRun * 1.1 > budgetSeconds) {
                    System.out.printf(Locale.ROOT, "time budget reached after %.0f s; stopping%n", elapsed);
                    return;
                }
                measure(s.label(), s.optimizer(), seed);
            }
        }
    }

    private void measure(String label, OptimizerConfig optimizer, long seed) throws Exception {
        Setting setting = settings.computeIfAbsent(label, l -> new Setting(l, optimizer, new ArrayList<>()));
        Path dir = work.resolve("run-" + settings.size() + "-" + seed);
        double[] lastEpochLoss = new double[2];
        TrainingSpec spec = new TrainingSpec(
                TaskType.CLASSIFICATION,
                new ModelSource.Saved(base),
                train,
                null,
                new TrainingPlan(EPOCHS, BATCH, STEPS, 1, 0, 0, 1),
                optimizer,
                new Device[] {Device.cpu()},
                seed,
                new DirectoryCheckpointStore(dir.resolve("checkpoints")),
                null,
                dir.resolve("model"));
        long start = System.nanoTime();
        RunOutcome outcome = new TrainingRun(spec, new RunControl(), new TrainingListener() {
                    @Override
                    public void onStep(StepReport report) {
                        if (report.progress().step() > STEPS - STEPS / EPOCHS) {
                            lastEpochLoss[0] += report.trainLoss();
                            lastEpochLoss[1]++;
                        }
                    }
                })
                .run();
        double seconds = (System.nanoTime() - start) / 1e9;
        if (outcome.status() != RunOutcome.Status.COMPLETED || outcome.steps() != STEPS) {
            throw new IllegalStateException(label + ": " + outcome);
        }
        double[] scores = score(spec.outputDirectory());
        Result result = new Result(seed, scores[0], scores[1], lastEpochLoss[0] / lastEpochLoss[1], seconds);
        setting.results().add(result);
        System.out.printf(
                Locale.ROOT,
                "%s, seed %d: held-out acc %.3f loss %.4f, train loss %.4f (%.0f s)%n",
                label,
                seed,
                result.accuracy(),
                result.heldOutLoss(),
                result.trainLoss(),
                seconds);
        deleteTree(dir);
        write();
    }

    /** Held-out accuracy and mean cross-entropy, -log p(true label), with the saved model's classify. */
    private static double[] score(Path model) throws IOException {
        int right = 0;
        double loss = 0;
        try (LoadedModel loaded = LoadedModel.load(model, Device.cpu())) {
            for (TopicSentences.Example e : TopicSentences.heldOut()) {
                Map<String, Float> p = loaded.classify(e.text());
                String truth = TopicSentences.LABELS.get(e.label());
                String best = p.entrySet().stream()
                        .max(Map.Entry.comparingByValue())
                        .orElseThrow()
                        .getKey();
                right += best.equals(truth) ? 1 : 0;
                loss -= Math.log(Math.max(p.get(truth), 1e-12));
            }
        }
        int n = TopicSentences.heldOut().size();
        return new double[] {(double) right / n, loss / n};
    }

    private void write() throws IOException {
        StringBuilder table =
                new StringBuilder("| # | optimizer | held-out accuracy | held-out loss | train loss (last epoch)"
                        + " | per seed (acc / loss / train) | s per run |\n"
                        + "| ---: | --- | ---: | ---: | ---: | --- | ---: |\n");
        int row = 1;
        for (Setting s : settings.values()) {
            String perSeed = s.results().stream()
                    .map(r -> String.format(
                            Locale.ROOT,
                            "seed %d: %.3f / %.3f / %.3f",
                            r.seed(),
                            r.accuracy(),
                            r.heldOutLoss(),
                            r.trainLoss()))
                    .collect(Collectors.joining("; "));
            table.append(String.format(
                    Locale.ROOT,
                    "| %d | %s | %.3f | %.3f | %.3f | %s | %.0f |%n",
                    row++,
                    s.label(),
                    mean(s, Result::accuracy),
                    mean(s, Result::heldOutLoss),
                    mean(s, Result::trainLoss),
                    perSeed,
                    mean(s, Result::seconds)));
        }
        int runs = settings.values().stream().mapToInt(s -> s.results().size()).sum();
        String body = "## Optimizer defaults for pretrained bases: MiniLM fine-tuning\n\n"
                + "all-MiniLM-L6-v2 (a pretrained BERT, converted from the test jar's ONNX) fine-tuned through"
                + " `TrainingRun` as a sports/cooking classifier (new pooler and head), " + STEPS + " steps of "
                + BATCH + " (" + EPOCHS + " epochs of the 80 training sentences of `TopicSentences`), then scored"
                + " on the 40 held-out sentences with the saved model's `classify`: accuracy and mean"
                + " cross-entropy -log p(true label). Train loss: mean over the last epoch's " + (STEPS / EPOCHS)
                + " steps. Means over the seeds run (" + runs + " runs in "
                + String.format(Locale.ROOT, "%.0f", (System.nanoTime() - started) / 60e9)
                + " min); the warm-up row takes the constant rate with the lowest held-out loss on the first"
                + " seed.\n\n"
                + "Measured " + LocalDate.now() + " on " + machine() + ", " + engineLine + ", CPU.\n\n"
                + table
                + "\nCommand: `./mvnw -B -q -o test-compile exec:java -Dexec.classpathScope=test"
                + " -Dexec.mainClass=dev.sublinear.bench.PretrainedDefaultsStudy`\n";
        BenchReport.writeSection(Path.of("docs", "benchmarks.md"), "pretrained-defaults", body);
    }

    private static String machine() {
        try {
            return BenchReport.machine();
        } catch (IOException e) {
            return "unknown machine";
        }
    }

    private static double mean(Setting s, ToDoubleFunction<Result> f) {
        return s.results().stream().mapToDouble(f).average().orElse(Double.NaN);
    }

    private static String rate(float rate) {
        String s = String.format(Locale.ROOT, "%.0e", rate);
        return s.replace("e-0", "e-");
    }

    private static Path jsonl(List<TopicSentences.Example> examples, Path file) throws IOException {
        StringBuilder lines = new StringBuilder();
        for (TopicSentences.Example e : examples) {
            JsonObject row = new JsonObject();
            row.addProperty("text", e.text());
            row.addProperty("label", TopicSentences.LABELS.get(e.label()));
            lines.append(row).append('\n');
        }
        return Files.writeString(file, lines.toString());
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
