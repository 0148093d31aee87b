package dev.sublinear.training.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The 16-bit conversions on their edge cases; SafetensorsReferenceTest holds them against torch. */
class Float16Test {

    @Test
    void bf16TiesRoundToEven() {
        assertEquals(0x3F80, bf16(0x3F808000)); // 1 + 2^-8: halfway, the even neighbour is below
        assertEquals(0x3F82, bf16(0x3F818000)); // halfway, the even neighbour is above
        assertEquals(0x3F81, bf16(0x3F808001)); // just past halfway
        assertEquals(0xBF82, bf16(0xBF818000));
        assertEquals(0x7F80, bf16(0x7F7FFFFF)); // the largest float rounds to infinity
        assertEquals(0x7FC0, bf16(0x7FC12345)); // NaN stays NaN
    }

    @Test
    void f16TiesRoundToEvenAndOverflowToInfinity() {
        assertEquals(0x3C00, Float16.toF16(1 + 0x1p-11f) & 0xFFFF); // halfway between 1 and 1 + 2^-10
        assertEquals(0x3C02, Float16.toF16(1 + 0x1.8p-10f) & 0xFFFF); // halfway, even above
        assertEquals(0x7BFF, Float16.toF16(65519.99f) & 0xFFFF);
        assertEquals(0x7C00, Float16.toF16(65520f) & 0xFFFF);
        assertEquals(0xFC00, Float16.toF16(Float.NEGATIVE_INFINITY) & 0xFFFF);
        assertEquals(0x0000, Float16.toF16(0x1p-25f) & 0xFFFF); // halfway between 0 and the smallest subnormal
        assertEquals(0x0001, Float16.toF16(0x1.000002p-25f) & 0xFFFF);
        assertEquals(0x0002, Float16.toF16(0x1.8p-24f) & 0xFFFF); // halfway between subnormals 1 and 2
        assertEquals(0x0400, Float16.toF16(0x1.ffcp-15f) & 0xFFFF); // rounds up into the smallest normal
        assertEquals(0x8000, Float16.toF16(-0f) & 0xFFFF);
        assertTrue(Float.isNaN(Float16.fromF16(Float16.toF16(Float.NaN))));
    }

    @Test
    void every16BitPatternSurvivesWideningAndNarrowing() {
        for (int bits = 0; bits < 1 << 16; bits++) {
            float half = Float16.fromF16((short) bits);
            float brain = Float16.fromBf16((short) bits);
            if (!Float.isNaN(half)) {
                assertEquals(bits, Float16.toF16(half) & 0xFFFF, Integer.toHexString(bits));
            }
            if (!Float.isNaN(brain)) {
                assertEquals(bits, Float16.toBf16(brain) & 0xFFFF, Integer.toHexString(bits));
            }
        }
        assertEquals(0x1p-24f, Float16.fromF16((short) 1));
        assertEquals(65504f, Float16.fromF16((short) 0x7BFF));
    }

    private static int bf16(int floatBits) {
        return Float16.toBf16(Float.intBitsToFloat(floatBits)) & 0xFFFF;
    }
}
