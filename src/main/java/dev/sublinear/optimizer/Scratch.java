package dev.sublinear.optimizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.HashMap;
import java.util.Map;

/**
 * One float32 work buffer per device, as large as the largest parameter seen there, lent out as a
 * view shaped like the parameter being updated.
 *
 * <p>Why: a full-size temporary per step costs a page fault per page of it on the CPU, every step
 * (measured through the training loop on lm-small: allocating G^2 for each matrix made the engine
 * path's step five times the fused one's); parameters are updated one at a time, so one buffer
 * serves them all. GPUs do without: PyTorch's caching allocator reuses device memory.
 */
final class Scratch {

    private final NDManager manager;
    private NDArray flat;
    /** Vectors of ones by length, kept between steps (the CPU's engine path sums by products). */
    private final Map<Long, NDArray> ones = new HashMap<>();
    /** A 0-d array the host writes a step's scalar into: creating one costs more than the write. */
    private NDArray scalar;

    Scratch(NDManager manager) {
        this.manager = manager;
    }

    /**
     * A view of the buffer shaped {@code shape}; the buffer is temporarily attached to {@code step},
     * so the view and its intermediates are closed with the step. Grows the buffer if needed.
     */
    NDArray lend(Shape shape, NDManager step) {
        long size = shape.size();
        if (flat == null || flat.size() < size) {
            if (flat != null) {
                flat.close();
            }
            flat = manager.zeros(new Shape(Math.max(size, 1)), DataType.FLOAT32);
        }
        lendTo(flat, step);
        return flat.get(new NDIndex("0:{}", size)).reshape(shape);
    }

    /**
     * A float32 vector of {@code length} ones, kept for the next steps; temporarily attached to
     * {@code step}, so what an operation on it makes belongs to the step.
     */
    NDArray ones(long length, NDManager step) {
        NDArray vector = ones.computeIfAbsent(length, l -> manager.ones(new Shape(l), DataType.FLOAT32));
        lendTo(vector, step);
        return vector;
    }

    /** A 0-d float32 array now holding {@code value}: an operand only, overwritten by the next call. */
    NDArray scalar(float value) {
        if (scalar == null) {
            scalar = manager.zeros(new Shape(), DataType.FLOAT32);
        }
        EngineSupport.hostView(scalar).put(0, value);
        return scalar;
    }

    private static void lendTo(NDArray array, NDManager step) {
        if (array.getManager() != step) {
            // once a step: a second temporary attachment would hand the array back to the step
            array.tempAttach(step);
        }
    }

    long bytes() {
        long held = flat == null ? 0 : flat.size();
        for (NDArray vector : ones.values()) {
            held += vector.size();
        }
        return held * Float.BYTES;
    }
}
