package dev.sublinear.training.weights;

import java.util.Optional;

/**
 * The element types of the safetensors format this package knows, with their sizes. All of them can
 * be listed; F32, F16 and BF16 can be read as float32 and written from it.
 */
public enum WeightType {
    F64(8, false),
    F32(4, true),
    F16(2, true),
    BF16(2, true),
    F8_E4M3(1, false),
    F8_E5M2(1, false),
    I64(8, false),
    I32(4, false),
    I16(2, false),
    I8(1, false),
    U64(8, false),
    U32(4, false),
    U16(2, false),
    U8(1, false),
    BOOL(1, false);

    private final int bytes;
    private final boolean floating;

    WeightType(int bytes, boolean floating) {
        this.bytes = bytes;
        this.floating = floating;
    }

    /** Bytes per element. */
    public int bytes() {
        return bytes;
    }

    /** Whether values of this type are read as float32 and written from it (F32, F16, BF16). */
    public boolean convertsToFloat() {
        return floating;
    }

    /** The type a header's {@code dtype} names, if this package knows it. */
    public static Optional<WeightType> of(String dtype) {
        for (WeightType type : values()) {
            if (type.name().equals(dtype)) {
                return Optional.of(type);
            }
        }
        return Optional.empty();
    }
}
