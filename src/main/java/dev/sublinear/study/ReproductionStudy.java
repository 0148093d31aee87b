package dev.sublinear.study;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dev.sublinear.training.data.InvalidDataException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reproduces the paper's claims on this implementation: trains every {@link Variant} from every
 * seed on the {@link TranslationTask}, judges the {@link Claims} and writes {@code reproduction.md}
 * with its plots.
 *
 * <pre>
 * ReproductionStudy [--mode full|quick] [--out DIR] [--seeds 1,2,3] [--steps N] [--variants id,id]
 *                   [--learning-rate R] [--results FILE]
 * </pre>
 *
 * <p>With {@code --results}, every finished run is kept in FILE: the same command resumes an
 * interrupted study, or re-renders a finished one without training.
 */
public final class ReproductionStudy {

    /** What a study found. */
    public record Outcome(List<VariantSummary> summaries, List<Claims.Claim> claims, Path page) {}

    private final StudySettings settings;
    private final List<Variant> variants;
    private final PrintStream progress;

    public ReproductionStudy(StudySettings settings, List<Variant> variants, PrintStream progress) {
        this.settings = settings;
        this.variants = List.copyOf(variants);
        this.progress = progress;
    }

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        if (options == null) {
            System.err.println("usage: ReproductionStudy [--mode full|quick] [--out DIR] [--seeds 1,2,3] [--steps N]"
                    + " [--variants "
                    + String.join(",", Variant.table().stream().map(Variant::id).toList()) + "]"
                    + " [--learning-rate R] [--results FILE]");
            System.exit(2);
        }
        // DJL must stay offline; the engine starts on the main thread (see DjlEngine)
        setIfAbsent("ai.djl.offline", "true");
        setIfAbsent("OPT_OUT_TRACKING", "true");
        Engine.getEngine("PyTorch");
        Outcome outcome = new ReproductionStudy(options.settings(), options.variants(), System.out)
                .run(options.out(), options.command(), ResultsFile.open(options.results(), options.settings()));
        System.out.println("wrote " + outcome.page().toAbsolutePath());
        outcome.claims().forEach(c -> System.out.println(c.verdict().words() + ": " + c.claim()));
    }

    /** Runs the study and writes its report under {@code out}. */
    public Outcome run(Path out, String command) throws IOException, InvalidDataException {
        return run(out, command, ResultsFile.none());
    }

    /** Runs what {@code results} lacks, keeping each run there as it finishes, and writes the report. */
    Outcome run(Path out, String command, ResultsFile results) throws IOException, InvalidDataException {
        Path work = Files.createTempDirectory("sublinear-study");
        try {
            StudyData data = StudyData.generate(settings, work.resolve("data"));
            Device device = Engine.getEngine("PyTorch").defaultDevice();
            SeedRun seedRun = new SeedRun(settings, data, work, device);
            List<VariantSummary> summaries = new ArrayList<>();
            int total = variants.size() * settings.seeds().size();
            int done = 0;
            int trained = 0;
            double trainingSeconds = 0;
            long toTrain = variants.stream()
                    .mapToLong(v -> settings.seeds().stream()
                            .filter(seed -> results.find(v.id(), seed).isEmpty())
                            .count())
                    .sum();
            progress.printf(
                    Locale.ROOT,
                    "%s study: %d variants x %d seeds, %d steps each%n",
                    settings.mode(),
                    variants.size(),
                    settings.seeds().size(),
                    settings.steps());
            for (Variant variant : variants) {
                List<RunResult> runs = new ArrayList<>();
                for (long seed : settings.seeds()) {
                    var saved = results.find(variant.id(), seed);
                    RunResult r = saved.isPresent() ? saved.get() : seedRun.run(variant, seed);
                    if (saved.isEmpty()) {
                        results.add(r);
                        trained++;
                        toTrain--;
                        trainingSeconds += r.seconds();
                    }
                    runs.add(r);
                    done++;
                    // saved runs cost nothing: the estimate is the mean of the runs trained here
                    double left = trained == 0 ? 0 : trainingSeconds / trained * toTrain;
                    progress.printf(
                            Locale.ROOT,
                            "[%d/%d] %s seed %d%s: %s, exact match %.1f%%, %.0f s; about %.0f min left%n",
                            done,
                            total,
                            variant.id(),
                            seed,
                            saved.isPresent() ? " (saved)" : "",
                            r.failed()
                                    ? "FAILED (" + r.failure() + ")"
                                    : String.format(Locale.ROOT, "valid loss %.4f", r.finalValidLoss()),
                            100 * r.exactMatch(),
                            r.seconds(),
                            left / 60);
                    deleteTree(work.resolve(variant.id() + "-seed" + seed));
                }
                summaries.add(new VariantSummary(variant, runs));
            }
            Map<String, VariantSummary> byId = new LinkedHashMap<>();
            summaries.forEach(s -> byId.put(s.variant().id(), s));
            List<Claims.Claim> claims = new Claims(byId).judge();
            // the runs' own time, so that a study re-rendered from saved runs still says what it cost
            double minutes = summaries.stream()
                            .flatMap(v -> v.runs().stream())
                            .mapToDouble(RunResult::seconds)
                            .sum()
                    / 60;
            // float32 parameters, as every run reported them
            long parameters = summaries.stream()
                            .flatMap(v -> v.runs().stream())
                            .mapToLong(RunResult::parameterBytes)
                            .max()
                            .orElse(0)
                    / Float.BYTES;
            Report.Context context = new Report.Context(
                    LocalDate.now(ZoneOffset.UTC).toString(), machine(device), command, parameters, minutes);
            Report.write(out, settings, data, summaries, claims, context);
            return new Outcome(summaries, claims, out.resolve(Report.PAGE));
        } finally {
            deleteTree(work);
        }
    }

    static String machine(Device device) {
        String cpu = "an unknown CPU";
        try {
            Path info = Path.of("/proc/cpuinfo");
            if (Files.exists(info)) {
                cpu = Files.readAllLines(info).stream()
                        .filter(l -> l.startsWith("model name"))
                        .map(l -> l.substring(l.indexOf(':') + 1).trim())
                        .findFirst()
                        .orElse(cpu);
            }
        } catch (IOException e) {
            // the CPU's name is a nicety
        }
        String where = device.isGpu() ? "GPU " + device.getDeviceId() : "CPU";
        return String.format(
                Locale.ROOT,
                "%s, %d cores visible, Java %s, PyTorch %s, trained on the %s",
                cpu,
                Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.version"),
                Engine.getEngine("PyTorch").getVersion(),
                where);
    }

    private static void setIfAbsent(String key, String value) {
        if (System.getProperty(key) == null) {
            System.setProperty(key, value);
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    /** The command line. */
    record Options(StudySettings settings, List<Variant> variants, Path out, Path results, String command) {

        /** The options, or null when they make no sense. */
        static Options parse(String[] args) {
            StudySettings settings = StudySettings.full();
            List<Variant> variants = Variant.table();
            Path out = Path.of("docs");
            Path results = null;
            try {
                // the mode first: the other options adjust it, wherever they stand
                for (int i = 0; i + 1 < args.length; i++) {
                    if (args[i].equals("--mode")) {
                        settings = switch (args[i + 1]) {
                            case "full" -> StudySettings.full();
                            case "quick" -> StudySettings.quick();
                            default ->
                                throw new IllegalArgumentException("--mode is full or quick, got " + args[i + 1]);
                        };
                    }
                }
                for (int i = 0; i < args.length; i++) {
                    String value = i + 1 < args.length ? args[i + 1] : null;
                    if (value == null) {
                        throw new IllegalArgumentException(args[i] + " needs a value");
                    }
                    switch (args[i]) {
                        case "--mode" -> {}
                        case "--out" -> out = Path.of(value);
                        case "--results" -> results = Path.of(value);
                        case "--seeds" ->
                            settings = settings.withSeeds(Arrays.stream(value.split(","))
                                    .map(String::trim)
                                    .map(Long::parseLong)
                                    .toList());
                        case "--steps" -> settings = settings.withSteps(Integer.parseInt(value));
                        case "--learning-rate" -> settings = settings.withLearningRate(Float.parseFloat(value));
                        case "--variants" -> {
                            List<String> ids = Arrays.stream(value.split(","))
                                    .map(String::trim)
                                    .toList();
                            variants = Variant.table().stream()
                                    .filter(v -> ids.contains(v.id()))
                                    .toList();
                            if (variants.size() != ids.size()) {
                                throw new IllegalArgumentException("unknown variant in " + ids);
                            }
                        }
                        default -> throw new IllegalArgumentException("unknown option " + args[i]);
                    }
                    i++;
                }
            } catch (RuntimeException e) {
                System.err.println(e.getMessage());
                return null;
            }
            String command = "./mvnw -B -q compile exec:java -Dexec.mainClass=" + ReproductionStudy.class.getName()
                    + (args.length == 0 ? "" : " -Dexec.args=\"" + String.join(" ", args) + "\"");
            return new Options(settings, variants, out, results, command);
        }
    }
}
