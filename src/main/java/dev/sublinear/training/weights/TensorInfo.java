package dev.sublinear.training.weights;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * One tensor as a header declares it: name, type and shape, and where its bytes lie (the file and the
 * absolute position in it, checked against the file before anyone sees this).
 */
public final class TensorInfo {

    private final String name;
    private final WeightType type;
    private final long[] shape;
    private final long elements;
    private final Path file;
    private final long position;

    TensorInfo(String name, WeightType type, long[] shape, long elements, Path file, long position) {
        this.name = name;
        this.type = type;
        this.shape = shape.clone();
        this.elements = elements;
        this.file = file;
        this.position = position;
    }

    public String name() {
        return name;
    }

    public WeightType type() {
        return type;
    }

    /** The shape, outermost dimension first; empty for a scalar. */
    public long[] shape() {
        return shape.clone();
    }

    /** The product of the shape. */
    public long elementCount() {
        return elements;
    }

    /** What the data takes in its file. */
    public long byteLength() {
        return elements * type.bytes();
    }

    /** The file that holds the data: the shard, for a sharded set. */
    public Path file() {
        return file;
    }

    /** Where the data starts in {@link #file()}, from the start of the file. */
    long position() {
        return position;
    }

    @Override
    public String toString() {
        return name + " " + type + " " + Arrays.toString(shape);
    }
}
