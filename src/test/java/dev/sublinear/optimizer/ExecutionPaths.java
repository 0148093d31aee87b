package dev.sublinear.optimizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Assumptions;

/** Runs test code on the fused CPU kernels, on the CPU's engine path, or on the engine path as a GPU runs it. */
final class ExecutionPaths {

    private ExecutionPaths() {}

    /**
     * Skips where the kernels cannot have been built (no gcc, as the pom's profile requires), and
     * fails where they should have been: a build that silently dropped them must not pass.
     */
    static void requireKernels() {
        boolean buildable = Files.exists(Path.of("/usr/bin/gcc"))
                && System.getProperty("os.name", "").toLowerCase(Locale.ROOT).contains("linux")
                && "amd64".equals(System.getProperty("os.arch"));
        Assumptions.assumeTrue(buildable, "no C compiler: the fused CPU kernels are not built here");
        if (!CpuKernels.available()) {
            throw new IllegalStateException("gcc is present but the fused CPU kernels did not load");
        }
    }

    /**
     * Runs {@code body} on the fused kernels, or on the engine path with the CPU's host arithmetic
     * ({@link CpuMatrixStep}, {@link CpuSmallStep}).
     */
    static <T> T with(boolean cpuKernels, Callable<T> body) {
        if (cpuKernels) {
            requireKernels();
        }
        return withProperties(Boolean.toString(cpuKernels), "true", body);
    }

    /**
     * Runs {@code body} on the engine path as a GPU runs it: every vector and scalar an engine
     * operation, small parameters stepped in batches ({@link BatchStep}).
     */
    static <T> T onDevicePath(Callable<T> body) {
        return withProperties("false", "false", body);
    }

    private static <T> T withProperties(String cpuKernels, String hostArithmetic, Callable<T> body) {
        String previousKernels = System.getProperty(CpuKernels.DISABLE_PROPERTY);
        String previousHost = System.getProperty(EngineSupport.HOST_ARITHMETIC_PROPERTY);
        System.setProperty(CpuKernels.DISABLE_PROPERTY, cpuKernels);
        System.setProperty(EngineSupport.HOST_ARITHMETIC_PROPERTY, hostArithmetic);
        try {
            return body.call();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            restore(CpuKernels.DISABLE_PROPERTY, previousKernels);
            restore(EngineSupport.HOST_ARITHMETIC_PROPERTY, previousHost);
        }
    }

    private static void restore(String property, String previous) {
        if (previous == null) {
            System.clearProperty(property);
        } else {
            System.setProperty(property, previous);
        }
    }
}
