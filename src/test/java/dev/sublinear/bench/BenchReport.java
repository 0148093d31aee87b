package dev.sublinear.bench;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;

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
    /** "Measured DATE on MACHINE, ENGINE VERSION": how every section says where its numbers come from. */
    static String measuredOn(Engine engine) throws IOException {
        return "Measured " + LocalDate.now() + " on " + machine() + ", " + engine.getEngineName() + " "
                + engine.getVersion();
    }

    /**
     * Which main code was measured: "main code at commit X" (the last commit touching {@code src/main}),
     * "with uncommitted changes" when {@code src/main} differs from it, then the {@code bench.label}
     * system property when given (what the run stands for, e.g. "before issue 18's rewrite").
     */
    static String revision() {
        String commit = git("log", "-1", "--format=%h", "--", "src/main");
        String text = commit.isEmpty() ? "main code at an unknown commit" : "main code at commit " + commit;
        if (!git("status", "--porcelain", "--", "src/main").isEmpty()) {
            text += " with uncommitted changes";
        }
        String label = System.getProperty("bench.label");
        return label == null || label.isBlank() ? text : text + " (" + label.strip() + ")";
    }

    private static String git(String... args) {
        List<String> command = new ArrayList<>();
        command.add("git");
        command.addAll(List.of(args));
        try {
            Process process =
                    new ProcessBuilder(command).redirectErrorStream(true).start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            return process.waitFor() == 0 ? out : "";
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    /**
     * PyTorch's intra-op thread count, "intra-op threads: N": on a shared machine it decides whether
     * large tensor ops wait on a descheduled partner thread (set with -Dai.djl.pytorch.num_threads).
     */
    static String engineThreads() {
        return "intra-op threads: " + JniUtils.getNumThreads();
    }

    /** The sentence that says where a CPU engine benchmark ran: machine, threads and commit, then a blank line. */
    static String measuredOnCpu(Engine engine) throws IOException {
        return measuredOn(engine) + ", CPU, " + engineThreads() + "; " + revision() + ".\n\n";
    }

    /** " -Dname=value" for each of the named system properties that is set: the options a run was given. */
    static String flags(String... names) {
        StringBuilder out = new StringBuilder();
        for (String name : names) {
            String value = System.getProperty(name);
            if (value != null) {
                out.append(" -D").append(name).append('=');
                out.append(value.contains(" ") ? "\"" + value + "\"" : value);
            }
        }
        return out.toString();
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

    /**
     * The command that starts {@code mainClass} in a JVM of its own, on this JVM's class path (the
     * class loaders' URLs, as exec:java puts the test class path there rather than in {@code
     * java.class.path}).
     */
    static List<String> childJvm(List<String> jvmOptions, Class<?> mainClass, List<String> args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-Dai.djl.offline=true");
        command.add("-DOPT_OUT_TRACKING=true");
        command.add("-cp");
        command.add(classPath());
        command.add(mainClass.getName());
        command.addAll(args);
        return command;
    }

    static String classPath() {
        Set<String> entries = new LinkedHashSet<>();
        for (ClassLoader loader = Thread.currentThread().getContextClassLoader();
                loader != null;
                loader = loader.getParent()) {
            if (loader instanceof URLClassLoader urls) {
                for (URL url : urls.getURLs()) {
                    try {
                        entries.add(Path.of(url.toURI()).toString());
                    } catch (URISyntaxException | IllegalArgumentException e) {
                        entries.add(url.getPath());
                    }
                }
            }
        }
        if (entries.isEmpty()) {
            return System.getProperty("java.class.path");
        }
        return String.join(File.pathSeparator, entries);
    }

    /** A line of {@code /proc/self/status} in bytes ({@code VmHWM}, {@code VmRSS}), or -1. */
    static long procStatusBytes(String field) {
        return procStatusBytes("self", field);
    }

    /** A line of {@code /proc/<pid>/status} in bytes ({@code VmHWM}, {@code VmRSS}), or -1. */
    static long procStatusBytes(String pid, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", pid, "status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    static String mib(long bytes) {
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024.0));
    }

    /** Letters without t, h, e and r, so that the fixtures' byte-level BPE (merges th, er) gives one token each. */
    static String letters(Random random, int length) {
        String alphabet = "abcdfgijklmnopqsuvwxyz";
        StringBuilder text = new StringBuilder(length);
        for (int i = 0; i < length; i++) {
            text.append(alphabet.charAt(random.nextInt(alphabet.length())));
        }
        return text.toString();
    }

    /**
     * The "Command:" line of an optimizer benchmark's section: the run's own command line and the
     * options it takes, {@code selector} being its -D option that picks what to run (with an example).
     */
    static String optimizerCommand(String mainClass, String[] args, String selector, String example) {
        return "\nCommand: `./mvnw -B -q -o test-compile org.codehaus.mojo:exec-maven-plugin:3.5.0:java"
                + " -Dexec.classpathScope=test -Dexec.mainClass=dev.sublinear.bench." + mainClass
                + (args.length > 0 ? " -Dexec.args=" + args[0] : "")
                + flags("ai.djl.pytorch.num_threads", selector, "bench.label")
                + "`"
                + " (optional: `-Dexec.args=ROUNDS`, `-Dai.djl.pytorch.num_threads=N` (1 on a shared"
                + " machine: with more threads than free cores a large engine op waits for a descheduled"
                + " thread, the single-threaded fused kernels do not), `-D" + selector + "=" + example + "`,"
                + " `-Dbench.label=...` for a note on what was measured)\n";
    }
}
