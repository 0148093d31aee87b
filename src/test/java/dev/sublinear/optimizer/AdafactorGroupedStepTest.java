package dev.sublinear.optimizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@link Adafactor#updateAll} on the engine-op path, where small parameters of one shape are stepped
 * as one batch with their state in shared buffers: each parameter against its own double-precision
 * {@link ReferenceAdafactor} while the set of parameters changes from step to step (groups re-form),
 * the state's bytes and checkpoints with grouped state, and half-precision parameters.
 */
class AdafactorGroupedStepTest {

    private static final Shape[] SHAPES = {
        new Shape(33), new Shape(33), new Shape(33), new Shape(33), new Shape(7), new Shape(7), new Shape(12, 10)
    };

    @Test
    void eachParameterFollowsItsReferenceWhileTheGroupsChange() {
        ExecutionPaths.onDevicePath(() -> {
            Random random = new Random(3);
            try (NDManager manager = NDManager.newBaseManager();
                    Adafactor optimizer = Adafactor.builder().build()) {
                Model model = new Model(manager, random, 0);
                for (int step = 1; step <= 30; step++) {
                    // steps 11-20 leave out two of the four [33] vectors (a frozen part, say): their
                    // group of four gives way to a group of two, and comes back after
                    boolean partial = step > 10 && step <= 20;
                    List<ParameterUpdate> updates = new ArrayList<>();
                    for (int p = 0; p < SHAPES.length; p++) {
                        if (partial && (p == 1 || p == 2)) {
                            continue;
                        }
                        updates.add(model.update(p, random, manager));
                    }
                    optimizer.updateAll(updates);
                    updates.forEach(u -> u.gradient().close());
                    model.compare(step);
                }
                // every parameter's state is its own size, grouped or not
                long expected = 0;
                for (Shape s : SHAPES) {
                    expected += 4L * (s.dimension() == 2 ? s.get(0) + s.get(1) : s.size());
                }
                assertEquals(expected, optimizer.stateBytes());
                assertEquals(SHAPES.length, optimizer.memoryByParameter().size());
            }
            return null;
        });
    }

    @Test
    void groupedStateSurvivesACheckpoint() throws Exception {
        ExecutionPaths.onDevicePath(() -> {
            Random random = new Random(5);
            try (NDManager manager = NDManager.newBaseManager();
                    Adafactor first = Adafactor.builder().optBeta1(0.9f).build()) {
                Model model = new Model(manager, random, 0.9);
                for (int step = 1; step <= 5; step++) {
                    stepAll(first, model, random, manager);
                }
                ByteArrayOutputStream saved = new ByteArrayOutputStream();
                Map<String, String> names = new LinkedHashMap<>();
                for (int p = 0; p < SHAPES.length; p++) {
                    names.put("p" + p, "p" + p);
                }
                first.saveState(saved, names);
                try (Adafactor second = Adafactor.builder().optBeta1(0.9f).build()) {
                    second.loadState(new ByteArrayInputStream(saved.toByteArray()), names);
                    // the restored optimizer continues where the references are: steps 6-10
                    for (int step = 6; step <= 10; step++) {
                        stepAll(second, model, random, manager);
                        model.compare(step);
                    }
                    assertEquals(first.stateBytes(), second.stateBytes());
                }
            }
            return null;
        });
    }

    @Test
    void halfPrecisionParametersKeepNoFloat32CopyBetweenSteps() {
        ExecutionPaths.onDevicePath(() -> {
            try (NDManager manager = NDManager.newBaseManager();
                    Adafactor optimizer = Adafactor.builder().build()) {
                Shape shape = new Shape(48, 40);
                NDArray weight;
                try (NDArray source = manager.randomNormal(shape)) {
                    weight = source.toType(DataType.FLOAT16, false);
                }
                for (int step = 0; step < 5; step++) {
                    try (NDArray grad = manager.randomNormal(0f, 1e-2f, shape, DataType.FLOAT16)) {
                        optimizer.update("w", weight, grad);
                    }
                }
                assertEquals(DataType.FLOAT16, weight.getDataType());
                // the one float32 memory of its size is the CPU's work buffer, which every parameter
                // shares and which holds no weights between steps (scratchBytes); the other arrays
                // of that size are the buffer's views, kept per shape
                List<NDArray> sized = manager.getManagedArrays().stream()
                        .filter(a -> a.getDataType() == DataType.FLOAT32 && a.size() == shape.size())
                        .toList();
                assertFalse(sized.isEmpty());
                for (NDArray other : sized) {
                    float sentinel = 12345f + sized.indexOf(other);
                    EngineSupport.hostView(sized.get(0)).put(0, sentinel);
                    assertEquals(
                            sentinel,
                            EngineSupport.hostView(other).get(0),
                            "float32 arrays of the weight's size alive between steps share one memory");
                }
                assertEquals(4L * shape.size(), optimizer.scratchBytes());
                // float32 state: the row and column sums only
                assertEquals(4L * (48 + 40), optimizer.stateBytes());
            }
            return null;
        });
    }

    private static void stepAll(Adafactor optimizer, Model model, Random random, NDManager manager) {
        List<ParameterUpdate> updates = new ArrayList<>();
        for (int p = 0; p < SHAPES.length; p++) {
            updates.add(model.update(p, random, manager));
        }
        optimizer.updateAll(updates);
        updates.forEach(u -> u.gradient().close());
    }

    /** The parameters, and a reference per parameter stepped with the same gradients. */
    private static final class Model {
        final List<NDArray> weights = new ArrayList<>();
        final List<ReferenceAdafactor> references = new ArrayList<>();

        Model(NDManager manager, Random random, double beta1) {
            for (Shape shape : SHAPES) {
                double[] initial = new double[(int) shape.size()];
                for (int i = 0; i < initial.length; i++) {
                    initial[i] = 0.3 * random.nextGaussian();
                }
                NDArray weight = manager.create(StepFixtures.toFloats(initial), shape);
                ReferenceAdafactor reference = new ReferenceAdafactor(shape.getShape(), initial);
                reference.beta1 = beta1;
                reference.setWeights(StepFixtures.toDoubles(weight));
                weights.add(weight);
                references.add(reference);
            }
        }

        /** A fresh gradient for parameter p, given to its reference before the step may overwrite it. */
        ParameterUpdate update(int p, Random random, NDManager manager) {
            Shape shape = SHAPES[p];
            double[] g = new double[(int) shape.size()];
            for (int i = 0; i < g.length; i++) {
                g[i] = 0.05 * (p + 1) * random.nextGaussian();
            }
            NDArray grad = manager.create(StepFixtures.toFloats(g), shape);
            references.get(p).step(StepFixtures.toDoubles(grad));
            return new ParameterUpdate("p" + p, weights.get(p), grad);
        }

        void compare(int step) {
            for (int p = 0; p < weights.size(); p++) {
                double[] expected = references.get(p).weights();
                double[] actual = StepFixtures.toDoubles(weights.get(p));
                for (int i = 0; i < expected.length; i++) {
                    double tolerance = 1e-4 * Math.abs(expected[i]) + 1e-6;
                    int index = i;
                    int parameter = p;
                    assertTrue(
                            Math.abs(expected[i] - actual[i]) <= tolerance,
                            () -> "step " + step + ", parameter " + parameter + ", element " + index + ": expected "
                                    + expected[index] + ", got " + actual[index]);
                }
            }
        }
    }
}
