package dev.sublinear.optimizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;

/**
 * The float32 0-d arrays a device's steps multiply and add by, created once per value.
 *
 * <p>Why: DJL turns a Java number operand ({@code x.muli(0.5f)}) into a new array on the operand's
 * device every call. On a GPU that is a host-to-device copy that waits for the stream, once per
 * number per parameter; on the CPU a direct buffer and an engine call. A step uses a few dozen such
 * numbers, most of them the same for every parameter (the options) or for every parameter of a step
 * (beta2_t), so each value becomes an array once per step at most.
 *
 * <p>A value not used during the previous step is dropped when a step begins ({@link #beginStep}), so
 * the options' values stay and a past step's beta2_t goes; the arrays held stay bounded and the same
 * from step to step.
 */
final class DeviceScalars implements AutoCloseable {

    private final NDManager manager;
    private final Map<Integer, Held> byBits = new HashMap<>();
    private int step;

    private static final class Held {
        final NDArray array;
        int lastStep;

        Held(NDArray array, int lastStep) {
            this.array = array;
            this.lastStep = lastStep;
        }
    }

    DeviceScalars(NDManager manager) {
        this.manager = manager;
    }

    /**
     * Called before each parameter's update with its step count t: when t is past the steps seen,
     * drops the values the previous step did not use. Never during an update, so no array handed out
     * to a running step is freed.
     */
    void beginStep(int t) {
        if (t <= step) {
            return;
        }
        for (Iterator<Held> it = byBits.values().iterator(); it.hasNext(); ) {
            Held held = it.next();
            if (held.lastStep < step) {
                held.array.close();
                it.remove();
            }
        }
        step = t;
    }

    /** The 0-d array holding {@code value}; owned here: use it only as an operand, never as the receiver. */
    NDArray of(float value) {
        Held held = byBits.computeIfAbsent(Float.floatToIntBits(value), bits -> new Held(manager.create(value), step));
        held.lastStep = step;
        return held.array;
    }

    /** How many values are held now (each one 0-d array). */
    int held() {
        return byBits.size();
    }

    @Override
    public void close() {
        byBits.values().forEach(h -> h.array.close());
        byBits.clear();
    }
}
