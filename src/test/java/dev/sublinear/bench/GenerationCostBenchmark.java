package dev.sublinear.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.sublinear.testing.TinyHfModels;
import dev.sublinear.testing.TinyHfModels.Gpt2Size;
import dev.sublinear.training.NoGrad;
import dev.sublinear.training.generation.Generation;
import dev.sublinear.training.generation.Sampling;
import dev.sublinear.training.generation.TextGenerator;
import dev.sublinear.training.generation.TokenScore;
import dev.sublinear.training.generation.TokenStream;
import dev.sublinear.training.model.LoadedModel;
import dev.sublinear.training.weights.WeightType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * What one generated token costs as the text grows, on a GPT-2 of GPT-2 small's sizes (124M
 * parameters, n_positions 1024, random weights): through {@link TextGenerator#generate} with its
 * key/value cache, and beside it, in the same run, the cost without a cache (a full forward over the
 * prompt and every token so far, as generation ran before the cache). The target: token 200
 * costs at most 1.5 times token 10 with the cache.
 *
 * <p>A cached token's time is the interval between two consecutive calls of the generation's stop
 * check, which {@code generate} asks before each forward pass: the forward, the pick, the decoding of
 * the text so far and the stream. Per round, the median over a 5-token window around tokens 10 and
 * 200; the figures are medians over the rounds. The uncached time of token n is one full forward over
 * the prompt and the first n - 1 generated tokens (the same ids) plus the pick, median of 3 per round.
 *
 * <p>Run: {@code ./mvnw -B -q -o test-compile org.codehaus.mojo:exec-maven-plugin:3.5.0:java
 * -Dexec.classpathScope=test -Dexec.mainClass=dev.sublinear.bench.GenerationCostBenchmark
 * [-Dexec.args=ROUNDS]}
 */
public final class GenerationCostBenchmark {

    private static final long SEED = 200;
    private static final int EARLY = 10;
    private static final int LATE = 200;
    private static final int WINDOW = 2;
    private static final String PROMPT = "The other day, the weather there was better than ever";

    private GenerationCostBenchmark() {}

    public static void main(String[] args) throws Exception {
        int rounds = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        Engine engine = BenchReport.startEngine();
        Path dir = Files.createTempDirectory("generation-cost");
        try {
            Path folder = TinyHfModels.gpt2(dir.resolve("gpt2-small"), Gpt2Size.SMALL, WeightType.F32, SEED);
            try (LoadedModel model = LoadedModel.load(folder, Device.cpu())) {
                run(engine, model, rounds);
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    private static void run(Engine engine, LoadedModel model, int rounds) throws Exception {
        TextGenerator generator = new TextGenerator(model);
        int[] prompt = generator.encodePrompt(PROMPT);
        int tokens = LATE + WINDOW + 1;
        Sampling greedy = new Sampling(tokens, 0, 1, 0, List.of(), 0);
        double[][] cached = new double[rounds][];
        double[][] uncached = new double[rounds][];
        // a warm-up generation, not counted
        generator.generate(prompt, new Sampling(20, 0, 1, 0, List.of(), -1), () -> false, TokenStream.NONE);
        for (int r = 0; r < rounds; r++) {
            List<Long> asked = new ArrayList<>();
            Generation generation = generator.generate(
                    prompt,
                    greedy,
                    () -> {
                        asked.add(System.nanoTime());
                        return false;
                    },
                    TokenStream.NONE);
            asked.add(System.nanoTime());
            if (generation.completionTokens() < tokens) {
                throw new IllegalStateException("the generation ended after " + generation.completionTokens()
                        + " tokens: " + generation.finishReason());
            }
            // interval i (0-based) is the cost of generated token i + 1
            cached[r] = new double[] {windowMedian(asked, EARLY), windowMedian(asked, LATE)};
            int[] ids = generation.tokens().stream().mapToInt(TokenScore::id).toArray();
            uncached[r] = new double[] {uncachedMs(model, prompt, ids, EARLY), uncachedMs(model, prompt, ids, LATE)};
            System.out.printf(
                    Locale.ROOT,
                    "round %d: cached token %d %.1f ms, token %d %.1f ms; uncached %.1f ms, %.1f ms%n",
                    r + 1,
                    EARLY,
                    cached[r][0],
                    LATE,
                    cached[r][1],
                    uncached[r][0],
                    uncached[r][1]);
        }
        report(engine, model, prompt.length, rounds, cached, uncached);
    }

    /** Median of the intervals of tokens n - WINDOW .. n + WINDOW, in ms. */
    private static double windowMedian(List<Long> asked, int token) {
        double[] ms = new double[2 * WINDOW + 1];
        for (int i = 0; i < ms.length; i++) {
            int interval = token - WINDOW + i - 1;
            ms[i] = (asked.get(interval + 1) - asked.get(interval)) / 1e6;
        }
        return median(ms);
    }

    /** A full forward over the prompt and the first token - 1 generated ids, and the argmax: ms, median of 3. */
    private static double uncachedMs(LoadedModel model, int[] prompt, int[] generated, int token) {
        int length = prompt.length + token - 1;
        long[] ids = new long[length];
        for (int i = 0; i < length; i++) {
            ids[i] = i < prompt.length ? prompt[i] : generated[i - prompt.length];
        }
        double[] ms = new double[3];
        for (int k = 0; k < ms.length; k++) {
            long start = System.nanoTime();
            try (NoGrad ignored = NoGrad.enter();
                    NDManager manager = model.model().getNDManager().newSubManager()) {
                NDArray input = manager.create(ids, new Shape(1, length));
                NDArray logits = model.block()
                        .forward(
                                new ParameterStore(manager, false),
                                new NDList(input, manager.ones(input.getShape())),
                                false)
                        .singletonOrThrow();
                logits.get(0, length - 1).argMax().getLong();
            }
            ms[k] = (System.nanoTime() - start) / 1e6;
        }
        return median(ms);
    }

    private static void report(
            Engine engine, LoadedModel model, int promptTokens, int rounds, double[][] cached, double[][] uncached)
            throws Exception {
        double cachedEarly = median(column(cached, 0));
        double cachedLate = median(column(cached, 1));
        double uncachedEarly = median(column(uncached, 0));
        double uncachedLate = median(column(uncached, 1));
        StringBuilder body = new StringBuilder();
        body.append("## Generation: the cost of a token as the text grows, with and without the key/value cache\n\n");
        body.append(String.format(
                Locale.ROOT,
                "Milliseconds per generated token at token %d and token %d of a greedy generation (a %d-token"
                        + " prompt, %d tokens) on a GPT-2 of GPT-2 small's sizes (%,d parameters, n_positions 1024,"
                        + " vocabulary 50257, float32, random weights N(0, 0.02)). With the cache:"
                        + " `TextGenerator.generate` (the prompt in one forward, then one position a token), a token's"
                        + " time being the interval"
                        + " between two of its stop checks (forward, pick, decoding, stream), per round the median"
                        + " of tokens n - %d .. n + %d. Without: one full forward over the prompt and the n - 1 tokens"
                        + " before token n plus its argmax (what generation did before the cache), median of 3 a round."
                        + " %d rounds in one run (a warm-up generation first), medians over the rounds.%n%n",
                EARLY,
                LATE,
                promptTokens,
                LATE + WINDOW + 1,
                model.parameterCount(),
                WINDOW,
                WINDOW,
                rounds));
        body.append("Measured ")
                .append(LocalDate.now())
                .append(" on ")
                .append(BenchReport.machine())
                .append(", PyTorch ")
                .append(engine.getVersion())
                .append(" (DJL's libtorch), CPU; the machine's 2 cores shared with other work.\n\n");
        body.append("| path | token ")
                .append(EARLY)
                .append(" (ms) | token ")
                .append(LATE)
                .append(" (ms) | token ")
                .append(LATE)
                .append(" / token ")
                .append(EARLY)
                .append(" | per round (token ")
                .append(EARLY)
                .append(" / token ")
                .append(LATE)
                .append(", ms) |\n");
        body.append("| --- | ---: | ---: | ---: | --- |\n");
        body.append(row("with the cache", cachedEarly, cachedLate, cached));
        body.append(row("without (full forward)", uncachedEarly, uncachedLate, uncached));
        body.append(String.format(
                Locale.ROOT,
                "%nWith the cache token %d costs **%.2f** times token %d (target: at most 1.5); without it, %.2f"
                        + " times. At token %d the cache makes a token %.1f times cheaper.%n%n",
                LATE,
                cachedLate / cachedEarly,
                EARLY,
                uncachedLate / uncachedEarly,
                LATE,
                uncachedLate / cachedLate));
        body.append("Command: `./mvnw -B -q -o test-compile org.codehaus.mojo:exec-maven-plugin:3.5.0:java"
                        + " -Dexec.classpathScope=test -Dexec.mainClass=dev.sublinear.bench.GenerationCostBenchmark"
                        + " -Dexec.args=")
                .append(rounds)
                .append("`\n");
        System.out.println(body);
        BenchReport.writeSection(Path.of("docs", "benchmarks.md"), "generation-cost", body.toString());
    }

    private static String row(String path, double early, double late, double[][] rounds) {
        StringBuilder perRound = new StringBuilder();
        for (double[] r : rounds) {
            if (perRound.length() > 0) {
                perRound.append("; ");
            }
            perRound.append(String.format(Locale.ROOT, "%.1f / %.1f", r[0], r[1]));
        }
        return String.format(
                Locale.ROOT, "| %s | %.1f | %.1f | %.2f | %s |%n", path, early, late, late / early, perRound);
    }

    private static double[] column(double[][] rows, int column) {
        return Arrays.stream(rows).mapToDouble(r -> r[column]).toArray();
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }
}
