package dev.sublinear.optimizer;

import static dev.sublinear.optimizer.StepFixtures.train;
import static dev.sublinear.optimizer.StepFixtures.weights;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Training resumed from saved optimizer state must continue exactly as if it never stopped. */
class AdafactorCheckpointTest {

    private static final Shape[] SHAPES = {
        new Shape(8, 6), new Shape(2, 5, 3), new Shape(7), new Shape(), new Shape(40, 30)
    };

    @ParameterizedTest(name = "fused CPU kernels: {0}")
    @ValueSource(booleans = {true, false})
    void resumedRunEqualsUninterruptedRun(boolean cpuKernels) throws IOException {
        ExecutionPaths.with(cpuKernels, () -> {
            Supplier<Adafactor> factory = () ->
                    Adafactor.builder().optBeta1(0.9f).optWeightDecays(0.01f).build();
            Map<String, float[]> straight;
            Map<String, float[]> resumed;
            try (NDManager manager = NDManager.newBaseManager()) {
                Map<String, NDArray> weights = weights(manager, SHAPES);
                try (Adafactor optimizer = factory.get()) {
                    train(optimizer, weights, manager, 0, 20);
                }
                straight = values(weights);
            }
            try (NDManager manager = NDManager.newBaseManager()) {
                Map<String, NDArray> weights = weights(manager, SHAPES);
                ByteArrayOutputStream saved = new ByteArrayOutputStream();
                try (Adafactor first = factory.get()) {
                    train(first, weights, manager, 0, 10);
                    first.saveState(saved);
                }
                try (Adafactor second = factory.get()) {
                    second.loadState(new ByteArrayInputStream(saved.toByteArray()));
                    train(second, weights, manager, 10, 20);
                    assertEquals(20, second.diagnostics().parameters().get(0).step());
                }
                resumed = values(weights);
            }
            for (String id : straight.keySet()) {
                // Same operations on the same inputs: the resumed weights are bit-identical.
                assertArrayEquals(straight.get(id), resumed.get(id), 0f, id);
            }
            return null;
        });
    }

    @Test
    void refusesStateThatDoesNotFitTheOptions() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            Map<String, NDArray> weights = weights(manager, SHAPES);
            ByteArrayOutputStream saved = new ByteArrayOutputStream();
            try (Adafactor withMomentum = Adafactor.builder().optBeta1(0.9f).build()) {
                train(withMomentum, weights, manager, 0, 2);
                withMomentum.saveState(saved);
            }
            try (Adafactor without = Adafactor.builder().build()) {
                without.loadState(new ByteArrayInputStream(saved.toByteArray()));
                NDArray w = weights.get("p0");
                IllegalArgumentException e =
                        assertThrows(IllegalArgumentException.class, () -> without.update("p0", w, w.zerosLike()));
                assertTrue(e.getMessage().contains("p0") && e.getMessage().contains("momentum"), e.getMessage());
            }
        }
    }

    @Test
    void refusesStateOfAnotherShape() throws IOException {
        try (NDManager manager = NDManager.newBaseManager()) {
            ByteArrayOutputStream saved = new ByteArrayOutputStream();
            try (Adafactor first = Adafactor.builder().build()) {
                first.update("w", manager.ones(new Shape(4, 3)), manager.ones(new Shape(4, 3)));
                first.saveState(saved);
            }
            try (Adafactor second = Adafactor.builder().build()) {
                second.loadState(new ByteArrayInputStream(saved.toByteArray()));
                IllegalArgumentException e = assertThrows(
                        IllegalArgumentException.class,
                        () -> second.update("w", manager.ones(new Shape(5, 3)), manager.ones(new Shape(5, 3))));
                assertTrue(e.getMessage().contains("(5, 3)"), e.getMessage());
            }
        }
    }

    @Test
    void refusesCorruptOrForeignStreams() {
        try (Adafactor optimizer = Adafactor.builder().build()) {
            assertThrows(
                    IOException.class,
                    () -> optimizer.loadState(new ByteArrayInputStream(new byte[] {1, 2, 3, 4, 5, 6, 7, 8})));
            assertThrows(
                    IOException.class, () -> optimizer.loadState(new ByteArrayInputStream(new byte[] {0x53, 0x4c})));
        }
    }

    @Test
    void loadAfterTrainingHasStartedIsRefused() throws IOException {
        try (NDManager manager = NDManager.newBaseManager();
                Adafactor optimizer = Adafactor.builder().build()) {
            optimizer.update("w", manager.ones(new Shape(3)), manager.ones(new Shape(3)));
            ByteArrayOutputStream saved = new ByteArrayOutputStream();
            optimizer.saveState(saved);
            assertThrows(
                    IllegalStateException.class,
                    () -> optimizer.loadState(new ByteArrayInputStream(saved.toByteArray())));
        }
    }

    private static Map<String, float[]> values(Map<String, NDArray> weights) {
        Map<String, float[]> values = new LinkedHashMap<>();
        weights.forEach((k, v) -> values.put(k, v.toFloatArray()));
        return values;
    }
}
