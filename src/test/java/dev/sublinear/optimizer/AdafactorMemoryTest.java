package dev.sublinear.optimizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** stateBytes() sums the arrays the optimizer holds; it must equal adafactor.md's formula. */
class AdafactorMemoryTest {

    private static final Map<String, Shape> SHAPES = Map.of(
            "scalar", new Shape(),
            "vector", new Shape(33),
            "matrix", new Shape(64, 48),
            "narrow", new Shape(64, 3),
            "batch", new Shape(4, 16, 8),
            "rank4", new Shape(2, 3, 5, 7));

    @ParameterizedTest(name = "beta1={0}, factored={1}, minDim={2}, fused={3}")
    @CsvSource({
        "0, true, 1, true",
        "0.9, true, 1, true",
        "0, false, 1, true",
        "0.9, false, 1, false",
        "0, true, 4, false",
        "0.5, true, 4, true",
        "0, true, 1, false"
    })
    void stateBytesFollowTheFormula(float beta1, boolean factored, int minDim, boolean cpuKernels) {
        if (cpuKernels) {
            ExecutionPaths.requireKernels();
        }
        UnaryOperator<Adafactor.Builder> options =
                b -> b.optBeta1(beta1).optFactored(factored).optMinDimSizeToFactor(minDim);
        ExecutionPaths.with(cpuKernels, () -> {
            try (NDManager manager = NDManager.newBaseManager();
                    Adafactor optimizer = options.apply(Adafactor.builder()).build()) {
                long expectedState = 0;
                long elements = 0;
                for (Map.Entry<String, Shape> e : SHAPES.entrySet()) {
                    Shape shape = e.getValue();
                    NDArray w = manager.randomNormal(shape);
                    NDArray g = manager.randomNormal(0f, 0.1f, shape, DataType.FLOAT32);
                    for (int step = 0; step < 3; step++) {
                        optimizer.update(e.getKey(), w, g);
                    }
                    expectedState += formulaBytes(shape, factored, minDim, beta1 > 0);
                    elements += shape.size();
                }
                assertEquals(expectedState, optimizer.stateBytes());
                assertEquals(2L * 4 * elements, optimizer.adamEquivalentBytes());
                assertEquals(4L * elements, optimizer.parameterBytes());
                List<ParameterMemory> byParameter = optimizer.memoryByParameter();
                assertEquals(SHAPES.size(), byParameter.size());
                for (ParameterMemory p : byParameter) {
                    Shape shape = SHAPES.get(p.parameterId());
                    assertEquals(shape, p.shape());
                    assertEquals(formulaBytes(shape, factored, minDim, beta1 > 0), p.stateBytes(), p.parameterId());
                    assertEquals(8L * shape.size(), p.adamEquivalentBytes(), p.parameterId());
                    boolean factor = factored
                            && shape.dimension() >= 2
                            && shape.get(shape.dimension() - 2) >= minDim
                            && shape.get(shape.dimension() - 1) >= minDim;
                    assertEquals(
                            factor ? ParameterMemory.SecondMomentKind.FACTORED : ParameterMemory.SecondMomentKind.FULL,
                            p.secondMoment(),
                            p.parameterId());
                    assertEquals(DataType.FLOAT32, p.dataType(), p.parameterId());
                    assertEquals(List.of(manager.getDevice()), p.devices(), p.parameterId());
                }
            }
            return null;
        });
    }

    @ParameterizedTest(name = "{0}x{1}")
    @CsvSource({"1024, 1024", "4096, 1024"})
    void factoredMatrixStateIsTheRowsPlusTheColumns(int n, int m) {
        try (NDManager manager = NDManager.newBaseManager();
                Adafactor optimizer = Adafactor.builder().build()) {
            NDArray w = manager.zeros(new Shape(n, m));
            optimizer.update("w", w, manager.ones(new Shape(n, m)));
            assertEquals(4L * (n + m), optimizer.stateBytes());
            // 1024 x 1024: 8 KiB against Adam's 8 MiB
            assertTrue(optimizer.stateBytes() * 500 < optimizer.adamEquivalentBytes());
        }
    }

    /** adafactor.md: factored [..., n, m] with batch B: B(n + m); else N; plus N for momentum; x 4 bytes. */
    private static long formulaBytes(Shape shape, boolean factored, int minDim, boolean momentum) {
        int rank = shape.dimension();
        long n = shape.size();
        long elements;
        if (factored && rank >= 2 && shape.get(rank - 2) >= minDim && shape.get(rank - 1) >= minDim) {
            long rows = shape.get(rank - 2);
            long cols = shape.get(rank - 1);
            long batch = n / (rows * cols);
            elements = batch * (rows + cols);
        } else {
            elements = n;
        }
        if (momentum) {
            elements += n;
        }
        return 4 * elements;
    }
}
