package dev.sublinear.bench;

import ai.djl.Device;
import ai.djl.engine.Engine;
import dev.sublinear.testing.TinyHfModels;
import dev.sublinear.testing.TinyHfModels.Gpt2Size;
import dev.sublinear.training.model.LoadedModel;
import dev.sublinear.training.weights.WeightType;
import java.io.Reader;
import java.io.Writer;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Java heap taken by importing a Hugging Face model: GPT-2 small's sizes (124M parameters) in
 * float32, about 500 MB of safetensors, loaded with {@link LoadedModel#load} in a JVM of its own
 * ({@value #HEAP}). A thread samples the heap in use every {@value #POLL_MILLIS} ms from a baseline
 * taken after {@code System.gc()}; the peak above that baseline is what the import held on the heap
 * (garbage not yet collected included). The weights themselves should live in libtorch's native
 * memory, so the peak should be far below the file's size.
 *
 * <p>Run: {@code ./mvnw -B -q -o test-compile org.codehaus.mojo:exec-maven-plugin:3.5.0:java
 * -Dexec.classpathScope=test
 * -Dexec.mainClass=dev.sublinear.bench.PretrainedImportBenchmark}
 */
public final class PretrainedImportBenchmark {

    private static final String HEAP = "-Xmx2g";
    private static final long POLL_MILLIS = 5;
    private static final long SEED = 13;

    private PretrainedImportBenchmark() {}

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && args[0].equals("child")) {
            child(Path.of(args[1]), Path.of(args[2]));
            return;
        }
        int repeats = args.length > 0 ? Integer.parseInt(args[0]) : 3;
        Path dir = Files.createTempDirectory("pretrained-import");
        Path model = TinyHfModels.gpt2(dir.resolve("gpt2-small"), Gpt2Size.SMALL, WeightType.F32, SEED);
        long fileBytes = Files.size(model.resolve("model.safetensors"));
        List<Properties> runs = new ArrayList<>();
        for (int r = 0; r < repeats; r++) {
            Path out = dir.resolve("import-" + r + ".properties");
            Process process = new ProcessBuilder(BenchReport.childJvm(
                            List.of(HEAP),
                            PretrainedImportBenchmark.class,
                            List.of("child", model.toString(), out.toString())))
                    .inheritIO()
                    .start();
            if (process.waitFor() != 0) {
                throw new IllegalStateException("the import child failed");
            }
            Properties p = new Properties();
            try (Reader in = Files.newBufferedReader(out)) {
                p.load(in);
            }
            runs.add(p);
            System.out.println("round " + r + ": " + p);
        }
        Engine engine = BenchReport.startEngine();
        long worst =
                runs.stream().mapToLong(p -> num(p, "peakAboveBaseline")).max().orElse(-1);
        StringBuilder body = new StringBuilder()
                .append("## Import: heap taken by loading a 500 MB Hugging Face model\n\n")
                .append(String.format(
                        Locale.ROOT,
                        "`LoadedModel.load` of a GPT-2 of GPT-2 small's sizes (%,d parameters, random weights) stored"
                                + " as float32 in one `model.safetensors` of %,d bytes (%s), in a JVM of its own"
                                + " (`%s`), %d times, each in a fresh JVM. A thread samples"
                                + " `MemoryMXBean.getHeapMemoryUsage().getUsed()` every %d ms from a baseline taken"
                                + " after `System.gc()`; the peak above the baseline includes garbage not yet"
                                + " collected. Resident memory (`VmRSS` before, `VmHWM` after) shows where the"
                                + " weights went: libtorch's native memory.%n%n",
                        Gpt2Size.SMALL.parameters(),
                        fileBytes,
                        BenchReport.mib(fileBytes),
                        HEAP,
                        repeats,
                        POLL_MILLIS))
                .append(BenchReport.measuredOn(engine))
                .append(", CPU; the file in the page cache (written just before).\n\n")
                .append("| run | heap baseline | heap peak above baseline | peak / file size | samples | GCs"
                        + " during the import | resident before | resident peak (VmHWM) after | seconds |\n")
                .append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n");
        for (int r = 0; r < runs.size(); r++) {
            Properties p = runs.get(r);
            body.append(String.format(
                    Locale.ROOT,
                    "| %d | %s | %s | %.3f | %d | %d | %s | %s | %.2f |%n",
                    r + 1,
                    BenchReport.mib(num(p, "baseline")),
                    BenchReport.mib(num(p, "peakAboveBaseline")),
                    (double) num(p, "peakAboveBaseline") / fileBytes,
                    num(p, "samples"),
                    num(p, "gcs"),
                    BenchReport.mib(num(p, "rssBefore")),
                    BenchReport.mib(num(p, "hwmAfter")),
                    Double.parseDouble(p.getProperty("seconds"))));
        }
        body.append(String.format(
                        Locale.ROOT,
                        "%nLargest heap peak / file size: **%.3f** (%s of %s; target: far below 1).%n",
                        (double) worst / fileBytes,
                        BenchReport.mib(worst),
                        BenchReport.mib(fileBytes)))
                .append("\nCommand: `./mvnw -B -q -o test-compile org.codehaus.mojo:exec-maven-plugin:3.5.0:java"
                        + " -Dexec.classpathScope=test"
                        + " -Dexec.mainClass=dev.sublinear.bench.PretrainedImportBenchmark`\n");
        BenchReport.writeSection(Path.of("docs", "benchmarks.md"), "pretrained-import", body.toString());
        System.out.printf(
                Locale.ROOT, "peak heap / file = %.4f; wrote docs/benchmarks.md%n", (double) worst / fileBytes);
    }

    private static void child(Path model, Path out) throws Exception {
        BenchReport.startEngine();
        LoadedModel.class.getName(); // classes loaded before the baseline
        MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
        System.gc();
        System.gc();
        Thread.sleep(200);
        long baseline = memory.getHeapMemoryUsage().getUsed();
        long gcsBefore = gcCount();
        long rssBefore = BenchReport.procStatusBytes("VmRSS");
        AtomicLong peak = new AtomicLong(baseline);
        AtomicLong samples = new AtomicLong();
        AtomicBoolean running = new AtomicBoolean(true);
        Thread poller = new Thread(() -> {
            while (running.get()) {
                peak.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
                samples.incrementAndGet();
                try {
                    Thread.sleep(POLL_MILLIS);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        poller.setDaemon(true);
        poller.start();
        long start = System.nanoTime();
        long parameters;
        try (LoadedModel loaded = LoadedModel.load(model, Device.cpu())) {
            double seconds = (System.nanoTime() - start) / 1e9;
            running.set(false);
            poller.join();
            peak.accumulateAndGet(memory.getHeapMemoryUsage().getUsed(), Math::max);
            parameters = loaded.parameterCount();
            Properties p = new Properties();
            p.setProperty("baseline", Long.toString(baseline));
            p.setProperty("peak", Long.toString(peak.get()));
            p.setProperty("peakAboveBaseline", Long.toString(peak.get() - baseline));
            p.setProperty("samples", Long.toString(samples.get()));
            p.setProperty("gcs", Long.toString(gcCount() - gcsBefore));
            p.setProperty("rssBefore", Long.toString(rssBefore));
            p.setProperty("hwmAfter", Long.toString(BenchReport.procStatusBytes("VmHWM")));
            p.setProperty("seconds", Double.toString(seconds));
            p.setProperty("parameters", Long.toString(parameters));
            try (Writer w = Files.newBufferedWriter(out)) {
                p.store(w, "import");
            }
        }
    }

    private static long gcCount() {
        long count = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            count += Math.max(0, gc.getCollectionCount());
        }
        return count;
    }

    private static long num(Properties p, String key) {
        return Long.parseLong(p.getProperty(key));
    }
}
