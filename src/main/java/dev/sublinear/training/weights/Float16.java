package dev.sublinear.training.weights;

/**
 * Conversions between float32 and the two 16-bit float formats, as torch does them: F16 (IEEE half)
 * and BF16 (the top half of a float32) narrowed with round-to-nearest-even, NaN made the canonical
 * quiet NaN; widening is exact.
 */
final class Float16 {

    private static final int FLOAT_EXPONENT_BIAS_SHIFT = (127 - 15) << 23;
    private static final int HALF_INFINITY = 0x7C00;
    private static final int HALF_NAN = 0x7E00;
    private static final int BF16_NAN = 0x7FC0;
    private static final float SMALLEST_HALF_SUBNORMAL = 0x1p-24f;

    private Float16() {}

    /** BF16 to float32: the 16 bits are the top half of the float's bits. */
    static float fromBf16(short bits) {
        return Float.intBitsToFloat((bits & 0xFFFF) << 16);
    }

    /** float32 to BF16, rounding to the nearest, ties to even. */
    static short toBf16(float value) {
        if (Float.isNaN(value)) {
            return (short) BF16_NAN;
        }
        int bits = Float.floatToRawIntBits(value);
        int roundingBias = 0x7FFF + ((bits >>> 16) & 1);
        return (short) ((bits + roundingBias) >>> 16);
    }

    /** IEEE half to float32, exactly (subnormals, infinities and NaN payloads kept). */
    static float fromF16(short half) {
        int h = half & 0xFFFF;
        int sign = (h & 0x8000) << 16;
        int exponent = (h >>> 10) & 0x1F;
        int mantissa = h & 0x3FF;
        if (exponent == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            float magnitude = mantissa * SMALLEST_HALF_SUBNORMAL; // exact: mantissa has 10 bits
            return sign == 0 ? magnitude : -magnitude;
        }
        return Float.intBitsToFloat(sign | ((exponent << 23) + FLOAT_EXPONENT_BIAS_SHIFT) | (mantissa << 13));
    }

    /** float32 to IEEE half, rounding to the nearest, ties to even; past the largest half is infinity. */
    static short toF16(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int magnitude = bits & 0x7FFFFFFF;
        if (magnitude > 0x7F800000) {
            return (short) (sign | HALF_NAN);
        }
        if (magnitude >= 0x477FF000) { // 65520 and up round to infinity (65504 is the largest half)
            return (short) (sign | HALF_INFINITY);
        }
        if (magnitude >= 0x38800000) { // 2^-14 and up: a normal half
            int rebiased = magnitude - FLOAT_EXPONENT_BIAS_SHIFT;
            int rounded = rebiased + 0x0FFF + ((rebiased >>> 13) & 1);
            return (short) (sign | (rounded >>> 13));
        }
        if (magnitude < 0x33000000) { // up to 2^-25, half the smallest subnormal, rounds to zero
            return (short) sign;
        }
        // a subnormal half: the mantissa, with its implicit bit, shifted down to units of 2^-24
        int exponent = magnitude >>> 23;
        int mantissa = (magnitude & 0x7FFFFF) | 0x800000;
        int shift = 126 - exponent;
        int result = mantissa >>> shift;
        int remainder = mantissa & ((1 << shift) - 1);
        int halfway = 1 << (shift - 1);
        if (remainder > halfway || (remainder == halfway && (result & 1) == 1)) {
            result++; // may carry into the exponent: the smallest normal half, as it should
        }
        return (short) (sign | result);
    }
}
