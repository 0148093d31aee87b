package dev.sublinear.optimizer;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * The few engine-specific calls the optimizer needs, kept in one place.
 *
 * <p>PyTorch records autograd history per thread: an in-place update of a leaf parameter from a
 * thread whose grad mode is on fails, so the update runs with grad mode off and restores it after.
 */
final class EngineSupport {

    private static final NDIndex ALL = new NDIndex(":");

    private EngineSupport() {}

    /** Turns autograd off on this thread; returns the previous mode for {@link #restoreGradMode}. */
    static boolean disableGradMode(NDArray weight) {
        if (!(weight instanceof PtNDArray)) {
            return false;
        }
        boolean previous = JniUtils.isGradMode();
        if (previous) {
            JniUtils.setGradMode(false);
        }
        return previous;
    }

    static void restoreGradMode(NDArray weight, boolean previous) {
        if (previous && weight instanceof PtNDArray) {
            JniUtils.setGradMode(true);
        }
    }

    /**
     * Zeroes the weight's own gradient. DJL hands optimizers a copy of the gradient, so an
     * optimizer that does not zero the original lets gradients accumulate across steps.
     */
    static void zeroGradient(NDArray weight) {
        if (weight instanceof PtNDArray) {
            JniUtils.zeroGrad((PtNDArray) weight);
        } else if (weight.hasGradient()) {
            try (NDArray gradient = weight.getGradient()) {
                gradient.set(ALL, 0f);
            }
        }
    }

    /** Copies {@code source} into {@code target} in place (same shape), with no temporary. */
    static void copyInto(NDArray target, NDArray source) {
        if (target.getShape().dimension() == 0) {
            // a 0-d tensor cannot be sliced; its 1-element view can
            target.reshape(1).set(ALL, source.reshape(1));
        } else {
            target.set(ALL, source);
        }
    }

    /**
     * Lets a test run the CPU's engine path as a GPU runs it, every vector and scalar an engine
     * operation: -Dsublinear.adafactor.hostArithmetic=false turns {@link CpuMatrixStep} and {@link
     * CpuSmallStep} off.
     */
    static final String HOST_ARITHMETIC_PROPERTY = "sublinear.adafactor.hostArithmetic";

    /** Whether the CPU's engine path may do the work on vectors and scalars on the host. */
    static boolean hostArithmetic() {
        return !"false".equalsIgnoreCase(System.getProperty(HOST_ARITHMETIC_PROPERTY));
    }

    /**
     * Whether the host can work on {@code array}'s memory in place: a contiguous float32 PyTorch array
     * on the CPU. Contiguity matters because DJL hands out a copy of any other array's memory, where
     * writes would be lost; DJL does not expose it, so its native check is looked up once (absent in
     * another DJL version: nothing is worked on in place, the engine operations run instead).
     */
    static boolean hostReadable(NDArray array) {
        if (!(array instanceof PtNDArray pt)
                || !array.getDevice().equals(Device.cpu())
                || array.getDataType() != DataType.FLOAT32
                || IS_CONTIGUOUS == null) {
            return false;
        }
        try {
            return (boolean) IS_CONTIGUOUS.invokeExact((long) pt.getHandle());
        } catch (Throwable e) {
            throw new IllegalStateException("PyTorch's contiguity check failed", e);
        }
    }

    /**
     * The array's own memory as floats, read and written in place: no copy, no engine call. Only for
     * {@link #hostReadable} arrays.
     */
    static FloatBuffer hostView(NDArray array) {
        return array.toByteBuffer(true).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    private static final MethodHandle IS_CONTIGUOUS = contiguityCheck();

    /** DJL's native {@code torchIsContiguous(handle)}, bound to its library instance, or null. */
    private static MethodHandle contiguityCheck() {
        try {
            Class<?> library = Class.forName("ai.djl.pytorch.jni.PyTorchLibrary");
            Field instance = library.getDeclaredField("LIB");
            instance.setAccessible(true);
            Method check = library.getDeclaredMethod("torchIsContiguous", long.class);
            check.setAccessible(true);
            return MethodHandles.lookup().unreflect(check).bindTo(instance.get(null));
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            return null;
        }
    }
}
