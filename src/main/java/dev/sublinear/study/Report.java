package dev.sublinear.study;

import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Writes the study's section of {@code reproduction.md} (keeping whatever else the page says, so
 * the discussion written around a run survives the next one), its plots and a CSV of every run.
 */
final class Report {

    static final String PAGE = "reproduction.md";
    static final String FILES = "reproduction";
    static final String RUNS_CSV = "runs.csv";

    private static final String HEADER = "# Reproducing the paper's claims\n\n"
            + "The command in the README trains a small Transformer LM on a generated translation task with Adam and"
            + " with Adafactor variants, in the manner of Table 2 of Shazeer & Stern (2018), and writes the section"
            + " below with its plots.\n";

    private Report() {}

    /** Everything the study writes, under {@code out}. */
    static void write(
            Path out,
            StudySettings settings,
            StudyData data,
            List<VariantSummary> summaries,
            List<Claims.Claim> claims,
            Context context)
            throws IOException {
        Path files = out.resolve(FILES);
        Files.createDirectories(files);
        Plots.writeAll(summaries, files);
        writeCsv(files.resolve(RUNS_CSV), summaries);
        String begin = "<!-- begin " + settings.mode() + " study -->";
        String end = "<!-- end " + settings.mode() + " study -->";
        Path page = out.resolve(PAGE);
        String text = Files.exists(page) ? Files.readString(page, StandardCharsets.UTF_8) : HEADER;
        String section = begin + "\n"
                + section(settings, data, summaries, claims, context).strip() + "\n" + end;
        int from = text.indexOf(begin);
        int to = text.indexOf(end);
        text = from >= 0 && to > from
                ? text.substring(0, from) + section + text.substring(to + end.length())
                : text.stripTrailing() + "\n\n" + section + "\n";
        Files.writeString(page, text, StandardCharsets.UTF_8);
    }

    /**
     * What the section says about where and how it ran.
     *
     * @param date the day of the run
     * @param machine CPU, cores and Java
     * @param command the command that reproduces it
     * @param parameters the model's parameter count
     * @param minutes the runs' time, training and evaluation, summed
     */
    record Context(String date, String machine, String command, long parameters, double minutes) {}

    private static String section(
            StudySettings s, StudyData data, List<VariantSummary> summaries, List<Claims.Claim> claims, Context c) {
        StringBuilder md = new StringBuilder();
        md.append("## ")
                .append(s.mode().equals("full") ? "The full study" : "A " + s.mode() + " study")
                .append("\n\n");
        md.append(String.format(
                Locale.ROOT,
                "Measured %s on %s; the runs took %.1f minutes in all. Command: `%s`%n%n",
                c.date(),
                c.machine(),
                c.minutes(),
                c.command()));
        if (!s.mode().equals("full")) {
            md.append("This study checks that every variant runs and that the report is written. Its runs are too short"
                    + " for the numbers or the verdicts below to say anything about the paper's claims: the full study"
                    + " does that.\n\n");
        }
        md.append(String.format(
                Locale.ROOT,
                "**Setup.** A decoder-only Transformer (%d layers, width %d, %d heads, MLP %d, context %d bytes; %,d"
                        + " parameters) learns to translate between two generated languages: %,d training pairs, %,d"
                        + " validation pairs and %,d held-out test pairs, none of which "
                        + "occurs in training. Each variant"
                        + " trains %,d steps of %d pairs from each of %d seeds (the seed sets the initial weights and"
                        + " the data order; the data is the same for all). Adam and the fixed-rate Adafactor use a peak"
                        + " rate of %s with %d steps of linear warm-up. Loss is cross-entropy per target byte.%n%n",
                s.model().layers(),
                s.model().width(),
                s.model().heads(),
                s.model().mlpWidth(),
                s.model().contextLength(),
                c.parameters(),
                s.trainingPairs(),
                s.validationPairs(),
                s.testPairs(),
                s.steps(),
                s.batchSize(),
                s.seeds().size(),
                trim(s.learningRate()),
                s.warmupSteps()));
        md.append("Training pairs look like this (source → target):\n\n");
        for (TranslationTask.Pair p : data.examples()) {
            md.append("- `")
                    .append(p.source())
                    .append("` → `")
                    .append(p.target())
                    .append("`\n");
        }
        md.append("\n### Results\n\n");
        md.append("| variant | what differs | final valid loss, mean ± sd (min–max) | "
                + "held-out exact match, mean (min–max)"
                + " | unstable seeds | loss spikes | optimizer state | of Adam's | step ms |\n");
        md.append("| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: |\n");
        for (VariantSummary v : summaries) {
            String loss = v.failedRuns() > 0
                    ? String.format(
                            Locale.ROOT,
                            "failed in %d of %d seeds%s",
                            v.failedRuns(),
                            v.runs().size(),
                            v.finalLosses().length == 0
                                    ? ""
                                    : String.format(Locale.ROOT, "; the others %.4f–%.4f", v.minLoss(), v.maxLoss()))
                    : String.format(
                            Locale.ROOT,
                            "%.4f ± %.4f (%.4f–%.4f)",
                            v.meanLoss(),
                            v.lossDeviation(),
                            v.minLoss(),
                            v.maxLoss());
            md.append(String.format(
                    Locale.ROOT,
                    "| %s | %s | %s | %.1f%% (%.1f–%.1f%%) | %d of %d | %d | %s | %.1f%% | %.1f |%n",
                    v.variant().id(),
                    v.variant().description(),
                    loss,
                    100 * v.meanExactMatch(),
                    100 * v.minExactMatch(),
                    100 * v.maxExactMatch(),
                    v.unstableRuns(),
                    v.runs().size(),
                    v.spikes(),
                    bytes(v.stateBytes()),
                    v.adamBytes() == 0 ? 0 : 100.0 * v.stateBytes() / v.adamBytes(),
                    v.stepMillis()));
        }
        md.append(String.format(
                Locale.ROOT,
                "%nA seed is *unstable* when its training stopped on a non-finite loss or update,"
                        + " ended above its starting validation loss, or spiked: a step's "
                        + "training loss more than %.1fx the"
                        + " median of the %d steps before it and at least %.1f nats above it. *Step ms* is the median"
                        + " training step (forward, backward and optimizer, batch of %d) "
                        + "on this machine. Adam's state is"
                        + " its two moments, 8 bytes per parameter.%n%n",
                Instability.RATIO,
                Instability.WINDOW,
                Instability.MIN_JUMP,
                s.batchSize()));
        md.append("### Claim by claim\n\n");
        md.append("| claim (the paper) | verdict | what this study measured | rule |\n| --- | --- | --- | --- |\n");
        for (Claims.Claim claim : claims) {
            md.append("| ")
                    .append(claim.claim())
                    .append(" | **")
                    .append(claim.verdict().words())
                    .append("** | ")
                    .append(claim.observed())
                    .append(" | ")
                    .append(claim.rule())
                    .append(" |\n");
        }
        md.append("\n### Plots\n\n");
        md.append("Training loss of every seed, one panel per variant (same logarithmic scale in every panel):\n\n");
        md.append("![training loss per variant](")
                .append(FILES)
                .append('/')
                .append(Plots.LOSS_CURVES)
                .append(")\n\n");
        md.append("Validation loss, mean over seeds:\n\n");
        md.append("![validation loss](")
                .append(FILES)
                .append('/')
                .append(Plots.VALIDATION)
                .append(")\n\n");
        md.append("Optimizer state against Adam's for the same model:\n\n");
        md.append("![optimizer memory](")
                .append(FILES)
                .append('/')
                .append(Plots.MEMORY)
                .append(")\n\n");
        if (!data.test().isEmpty()) {
            TranslationTask.Pair first = data.test().get(0);
            md.append("### One held-out sentence\n\n`")
                    .append(first.source())
                    .append("` should become `")
                    .append(first.target())
                    .append("`. Greedy translations by each variant's first seed:\n\n");
            for (VariantSummary v : summaries) {
                RunResult r = v.runs().get(0);
                md.append("- ")
                        .append(v.variant().id())
                        .append(": ")
                        .append(r.failed() ? "(training failed: " + r.failure() + ")" : "`" + r.sample() + "`")
                        .append(r.sample().equals(first.target()) ? " ✓" : "")
                        .append('\n');
            }
        }
        md.append("\nEvery run's numbers: [")
                .append(FILES)
                .append('/')
                .append(RUNS_CSV)
                .append("](")
                .append(FILES)
                .append('/')
                .append(RUNS_CSV)
                .append(").\n");
        return md.toString();
    }

    private static void writeCsv(Path file, List<VariantSummary> summaries) throws IOException {
        try (Writer out = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
            out.write("variant,seed,steps,initial_valid_loss,final_valid_loss,exact_match,spikes,worst_spike_ratio,"
                    + "failed,state_bytes,adam_bytes,parameter_bytes,step_ms,seconds\n");
            for (VariantSummary v : summaries) {
                for (RunResult r : v.runs()) {
                    Instability i = Instability.of(r.trainLosses());
                    out.write(String.format(
                            Locale.ROOT,
                            "%s,%d,%d,%.6f,%s,%.4f,%d,%.3f,%s,%d,%d,%d,%.2f,%.1f%n",
                            r.variant(),
                            r.seed(),
                            r.steps(),
                            r.initialValidLoss(),
                            r.failed() ? "" : String.format(Locale.ROOT, "%.6f", r.finalValidLoss()),
                            r.exactMatch(),
                            i.spikes(),
                            i.worstRatio(),
                            r.failed(),
                            r.stateBytes(),
                            r.adamBytes(),
                            r.parameterBytes(),
                            r.stepMillis(),
                            r.seconds()));
                }
            }
        }
    }

    static String bytes(long bytes) {
        if (bytes >= 1 << 20) {
            return String.format(Locale.ROOT, "%.2f MiB", bytes / (double) (1 << 20));
        }
        if (bytes >= 1 << 10) {
            return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        }
        return bytes + " B";
    }

    static String loss(double loss) {
        return Double.isFinite(loss) ? String.format(Locale.ROOT, "%.4f", loss) : "(a seed failed)";
    }

    private static String trim(float value) {
        return Float.toString(value).replaceAll("\\.0$", "");
    }
}
