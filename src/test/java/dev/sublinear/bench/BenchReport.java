package dev.sublinear.bench;

import ai.djl.engine.Engine;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Writes one benchmark's section into {@code docs/benchmarks.md}, replacing the section of the same
 * name and keeping the others, so each harness owns its part of the page.
 */
final class BenchReport {

    private static final String HEADER = "# Benchmarks\n\n"
            + "Figures written by the bench harnesses under `src/test/java/dev/sublinear/bench`."
            + " Each section names the command that produced it. These machines are shared"
            + " and noisy: compare ratios measured in one run, not absolute times across"
            + " runs.\n";

    private BenchReport() {}

    static void writeSection(Path file, String name, String body) throws IOException {
        String begin = "<!-- begin " + name + " -->";
        String end = "<!-- end " + name + " -->";
        String text = Files.exists(file) ? Files.readString(file, StandardCharsets.UTF_8) : HEADER;
        String section = begin + "\n" + body.strip() + "\n" + end;
        int from = text.indexOf(begin);
        int to = text.indexOf(end);
        if (from >= 0 && to > from) {
            text = text.substring(0, from) + section + text.substring(to + end.length());
        } else {
            text = text.stripTrailing() + "\n\n" + section + "\n";
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    /** Starts PyTorch offline on the calling (main) thread, as the application does. */
    static Engine startEngine() {
        System.setProperty("ai.djl.offline", "true");
        System.setProperty("OPT_OUT_TRACKING", "true");
        return Engine.getEngine("PyTorch");
    }

    static String machine() throws IOException {
        String cpu = "unknown CPU";
        Path info = Path.of("/proc/cpuinfo");
        if (Files.exists(info)) {
            cpu = Files.readAllLines(info).stream()
                    .filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim())
                    .findFirst()
                    .orElse(cpu);
        }
        return cpu
                + ", "
                + Runtime.getRuntime().availableProcessors()
                + " cores visible, Java "
                + System.getProperty("java.version");
    }
}
