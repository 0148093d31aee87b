package dev.sublinear.optimizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

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
        if (flat.getManager() != step) {
            // once a step: a second temporary attachment would hand the buffer back to the step
            flat.tempAttach(step);
        }
        return flat.get(new NDIndex("0:{}", size)).reshape(shape);
    }

    long bytes() {
        return flat == null ? 0 : flat.size() * Float.BYTES;
    }
}
