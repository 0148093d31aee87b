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
    /** Views of {@link #flat} by shape. */
    private final Map<Shape, NDArray> views = new HashMap<>();
    /** Arrays of ones by shape, kept between steps (the CPU's engine path sums by products). */
    private final Map<Shape, NDArray> ones = new HashMap<>();
    /** A 0-d array the host writes a step's scalar into: creating one costs more than the write. */
    private NDArray scalar;

    Scratch(NDManager manager) {
        this.manager = manager;
    }

    /**
     * A view of the buffer shaped {@code shape}, temporarily attached to {@code step}, so what an
     * operation on it makes belongs to the step. Grows the buffer if needed. The views are kept
     * between steps, one per shape (making one costs two new arrays, about 10 us on the CPU), until
     * the buffer grows.
     */
    NDArray lend(Shape shape, NDManager step) {
        long size = shape.size();
        if (flat == null || flat.size() < size) {
            views.values().forEach(NDArray::close);
            views.clear();
            if (flat != null) {
                flat.close();
            }
            flat = manager.zeros(new Shape(Math.max(size, 1)), DataType.FLOAT32);
        }
        NDArray view = views.computeIfAbsent(shape, s -> {
            try (NDArray prefix = flat.get(new NDIndex("0:{}", size))) {
                return prefix.reshape(s); // shares the buffer's memory: closing the prefix frees no data
            }
        });
        lendTo(view, step);
        return view;
    }

    /**
     * A float32 array of ones shaped {@code shape}, kept for the next steps; temporarily attached to
     * {@code step}, so what an operation on it makes belongs to the step.
     */
    NDArray ones(Shape shape, NDManager step) {
        NDArray vector = ones.computeIfAbsent(shape, s -> manager.ones(s, DataType.FLOAT32));
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
