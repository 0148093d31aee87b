package dev.sublinear.optimizer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.Assumptions;

/** Runs test code on the fused CPU kernels or on composed engine operations. */
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

    static <T> T with(boolean cpuKernels, Callable<T> body) {
        if (cpuKernels) {
            requireKernels();
        }
        String previous = System.getProperty(CpuKernels.DISABLE_PROPERTY);
        System.setProperty(CpuKernels.DISABLE_PROPERTY, Boolean.toString(cpuKernels));
        try {
            return body.call();
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            if (previous == null) {
                System.clearProperty(CpuKernels.DISABLE_PROPERTY);
            } else {
                System.setProperty(CpuKernels.DISABLE_PROPERTY, previous);
            }
        }
    }
}
