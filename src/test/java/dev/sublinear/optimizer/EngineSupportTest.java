package dev.sublinear.optimizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.nio.FloatBuffer;
import org.junit.jupiter.api.Test;

/** The host's in-place access to CPU arrays that {@link CpuMatrixStep} and {@link CpuSmallStep} rely on. */
class EngineSupportTest {

    @Test
    void hostViewsAreTheArraysOwnMemory() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray whole = manager.arange(12f).reshape(3, 4);
            NDArray row = whole.get(new NDIndex("1"));
            assertTrue(EngineSupport.hostReadable(whole));
            assertTrue(EngineSupport.hostReadable(row), "a row of a contiguous array is contiguous");
            FloatBuffer view = EngineSupport.hostView(row);
            assertEquals(4f, view.get(0));
            view.put(1, -1f);
            assertEquals(-1f, whole.getFloat(1, 1), "a write through the view lands in the array");
        }
    }

    @Test
    void arraysTheHostWouldSeeACopyOfAreNotReadable() {
        try (NDManager manager = NDManager.newBaseManager()) {
            NDArray matrix = manager.arange(12f).reshape(3, 4);
            // DJL hands out a copy of a non-contiguous array's memory: writes would be lost
            assertFalse(EngineSupport.hostReadable(matrix.transpose()));
            assertFalse(EngineSupport.hostReadable(matrix.get(new NDIndex(":, 1"))));
            assertFalse(EngineSupport.hostReadable(manager.zeros(new Shape(4), DataType.FLOAT16)));
            assertFalse(EngineSupport.hostReadable(manager.zeros(new Shape(4), DataType.FLOAT64)));
        }
    }

    @Test
    void hostArithmeticCanBeTurnedOff() {
        String previous = System.getProperty(EngineSupport.HOST_ARITHMETIC_PROPERTY);
        try {
            System.setProperty(EngineSupport.HOST_ARITHMETIC_PROPERTY, "false");
            assertFalse(EngineSupport.hostArithmetic());
            System.clearProperty(EngineSupport.HOST_ARITHMETIC_PROPERTY);
            assertTrue(EngineSupport.hostArithmetic());
        } finally {
            if (previous != null) {
                System.setProperty(EngineSupport.HOST_ARITHMETIC_PROPERTY, previous);
            }
        }
    }
}
