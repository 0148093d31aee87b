package dev.sublinear.optimizer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Direct buffers the fused kernels work in for one factored parameter, kept with its state. */
final class CpuWorkspace {
    final ByteBuffer rowSquares;
    final ByteBuffer columnSquares;
    final ByteBuffer rowFactors;
    final ByteBuffer columnFactors;

    CpuWorkspace(long rows, long columns) {
        rowSquares = allocate(rows);
        columnSquares = allocate(columns);
        rowFactors = allocate(rows);
        columnFactors = allocate(columns);
    }

    boolean fits(long rows, long columns) {
        return rowSquares.capacity() == rows * Float.BYTES && columnSquares.capacity() == columns * Float.BYTES;
    }

    long bytes() {
        return 2L * (rowSquares.capacity() + columnSquares.capacity());
    }

    private static ByteBuffer allocate(long floats) {
        return ByteBuffer.allocateDirect(Math.toIntExact(floats * Float.BYTES)).order(ByteOrder.nativeOrder());
    }
}
