package dev.sublinear.optimizer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * JNI entry points of the fused CPU kernels ({@code src/main/c/adafactor_kernels.c}), loaded from
 * the class path when the build compiled them for this platform. When they are absent (no C
 * compiler at build time, another platform) Adafactor composes engine operations instead.
 */
final class CpuKernels {

    private static final Logger LOG = Logger.getLogger(CpuKernels.class.getName());
    private static final String LIBRARY = "native/linux-x86_64/libsublinear_adafactor.so";
    /** Lets a test or a user force the portable path: -Dsublinear.adafactor.cpuKernels=false. */
    static final String DISABLE_PROPERTY = "sublinear.adafactor.cpuKernels";

    private static final boolean LOADED = load();

    private CpuKernels() {}

    static boolean available() {
        return LOADED && !"false".equalsIgnoreCase(System.getProperty(DISABLE_PROPERTY));
    }

    private static boolean load() {
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String arch = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        if (!os.contains("linux") || !(arch.equals("amd64") || arch.equals("x86_64"))) {
            return false;
        }
        try (InputStream in = CpuKernels.class.getResourceAsStream(LIBRARY)) {
            if (in == null) {
                LOG.info("Adafactor CPU kernels not built into this jar; using engine operations");
                return false;
            }
            Path file = Files.createTempFile("sublinear-adafactor", ".so");
            file.toFile().deleteOnExit();
            Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
            System.load(file.toAbsolutePath().toString());
            return true;
        } catch (IOException | UnsatisfiedLinkError e) {
            LOG.log(Level.WARNING, "Adafactor CPU kernels failed to load; using engine operations", e);
            return false;
        }
    }

    /** Row sums of g_eff^2 into rowSq, column sums added into colSq; returns sum of x^2 (x may be null). */
    static native double squareSums(
            ByteBuffer g,
            ByteBuffer x,
            ByteBuffer rowSq,
            ByteBuffer colSq,
            long r0,
            long r1,
            long n,
            long m,
            float scale,
            float clip);

    /** Sum over rows [r0, r1) of (g_eff * rowFactor * columnFactor)^2. */
    static native double factoredUpdateSquares(
            ByteBuffer g,
            ByteBuffer rowFactors,
            ByteBuffer columnFactors,
            long r0,
            long r1,
            long n,
            long m,
            float scale,
            float clip);

    /** x = decay * x - S over rows [r0, r1), S = k U, or M = beta1 M + k U and S = M. */
    static native void factoredApply(
            ByteBuffer x,
            ByteBuffer g,
            ByteBuffer rowFactors,
            ByteBuffer columnFactors,
            ByteBuffer momentum,
            long r0,
            long r1,
            long n,
            long m,
            float scale,
            float clip,
            float k,
            float decay,
            float beta1);

    /** V = beta2 V + (1 - beta2)(g_eff^2 + eps1); out = {sum U^2, sum x^2} over [from, to). */
    static native void fullAccumulate(
            ByteBuffer g,
            ByteBuffer x,
            ByteBuffer v,
            double[] out,
            long from,
            long to,
            float scale,
            float clip,
            float beta2,
            float eps1);

    /** x = decay * x - S over [from, to) with U = g_eff / sqrt(V). */
    static native void fullApply(
            ByteBuffer x,
            ByteBuffer g,
            ByteBuffer v,
            ByteBuffer momentum,
            long from,
            long to,
            float scale,
            float clip,
            float k,
            float decay,
            float beta1);

    /** The native address a direct buffer views. */
    static native long address(ByteBuffer buffer);
}
