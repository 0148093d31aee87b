package dev.sublinear.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Counts checked against what each small example does, counted by hand. */
class EngineOpCountTest {

    private static final Shape SHAPE = new Shape(64, 64);
    private static NDManager manager;
    private static NDArray a;
    private static NDArray b;

    @BeforeAll
    static void arrays() {
        manager = NDManager.newBaseManager();
        a = manager.randomNormal(SHAPE);
        b = manager.randomNormal(SHAPE);
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    @Test
    void inPlaceProductReadsBothAndWritesOne() throws Exception {
        EngineOpCount count = EngineOpCount.profile(() -> a.muli(b));

        assertEquals(1, count.operations(), count.toString());
        assertEquals("mul_", count.topLevel().get(0).name());
        assertArrayEquals(new long[] {64, 64}, count.topLevel().get(0).inputs().get(0));
        assertEquals(new EngineOpCount.Traffic(2, 1), count.traffic(SHAPE));
        // another parameter's shape sees none of this traffic
        assertEquals(new EngineOpCount.Traffic(0, 0), count.traffic(new Shape(32, 32)));
    }

    @Test
    void blocksOfRowsCountAsTheirShareOfThePass() throws Exception {
        NDArray top = a.get("0:16");
        NDArray rest = b.get("16:64");
        try {
            EngineOpCount count = EngineOpCount.profile(() -> {
                top.muli(top);
                rest.addi(rest);
            });

            // 16 and 48 of 64 rows, each read twice and written once
            assertEquals(new EngineOpCount.Traffic(2, 1), count.traffic(SHAPE));
            assertEquals("2R/1W", count.traffic(SHAPE).toString());
            EngineOpCount one = EngineOpCount.profile(() -> top.muli(top));
            assertEquals("0.5R/0.3W", one.traffic(SHAPE).toString());
            // a vector of the rows' length is no block of them
            EngineOpCount vector = EngineOpCount.profile(() -> a.get(0).muli(b.get(0)));
            assertEquals(new EngineOpCount.Traffic(0, 0), vector.traffic(SHAPE));
        } finally {
            top.close();
            rest.close();
        }
    }

    @Test
    void sumReadsOnceAndWritesNothingFullSize() throws Exception {
        EngineOpCount count = EngineOpCount.profile(() -> a.sum().close());

        assertEquals(1, count.operations(), count.toString());
        assertEquals(new EngineOpCount.Traffic(1, 0), count.traffic(SHAPE));
    }

    @Test
    void castIsOneOperationWithItsCopyNested() throws Exception {
        EngineOpCount count =
                EngineOpCount.profile(() -> a.toType(DataType.FLOAT64, false).close());

        // aten::to runs _to_copy, which runs copy_: one launch, one read, one write
        assertEquals(1, count.operations(), count.toString());
        assertEquals("to", count.topLevel().get(0).name());
        assertEquals(new EngineOpCount.Traffic(1, 1), count.traffic(SHAPE));
    }

    @Test
    void outerProductOfTwoVectorsWritesFullSize() throws Exception {
        try (NDManager scope = manager.newSubManager()) {
            NDArray row = scope.ones(new Shape(64, 1));
            NDArray column = scope.ones(new Shape(1, 64));
            EngineOpCount count = EngineOpCount.profile(() -> row.mul(column));

            assertEquals(1, count.operations(), count.toString());
            assertEquals(new EngineOpCount.Traffic(0, 1), count.traffic(SHAPE));
        }
    }

    @Test
    void overwritingCopyDoesNotReadItsDestination() throws Exception {
        try (NDManager scope = manager.newSubManager()) {
            NDArray target = scope.zeros(SHAPE);
            EngineOpCount count = EngineOpCount.profile(() -> target.set(new NDIndex(":"), b));

            // a slice (a view: no traffic) and copy_ (reads b, writes target)
            assertEquals(2, count.operations(), count.toString());
            assertEquals("slice", count.topLevel().get(0).name());
            assertEquals("copy_", count.topLevel().get(1).name());
            assertEquals(new EngineOpCount.Traffic(1, 1), count.traffic(SHAPE));
        }
    }

    @Test
    void nestingIsPerThreadAndOnlyAtenOpsCount() {
        String trace = "["
                + event("aten::add", 1, 10, 5, "[[8], [8], []]") + ","
                + event("aten::empty", 1, 11, 1, "[[], [], []]") + ","
                + event("aten::mul", 2, 12, 1, "[[8], []]") + ","
                + event("aten::sum", 1, 15, 2, "[[8], []]") + ","
                + event("autograd::engine", 1, 20, 9, "[]") + ","
                + event("aten::zero_", 1, 21, 1, "[[8]]")
                + "]";

        EngineOpCount count = EngineOpCount.parse(trace);

        // empty is inside add on thread 1; mul on thread 2 is its own launch; the non-aten span nests nothing
        assertEquals(
                List.of("add", "mul", "sum", "zero_"),
                count.topLevel().stream().map(EngineOpCount.Op::name).toList());
        assertEquals(List.of("empty"), count.topLevel().get(0).nested());
        // add: 2 reads 1 write; mul: 1 read 1 write; sum: 1 read; zero_: 1 write
        assertEquals(new EngineOpCount.Traffic(4, 3), count.traffic(new Shape(8)));
    }

    private static String event(String name, int thread, double start, double duration, String shape) {
        return "{\"name\": \"" + name + "\", \"ph\": \"X\", \"ts\": " + start + ", \"dur\": " + duration
                + ", \"tid\": " + thread + ", \"pid\": \"CPU Functions\", \"shape\": " + shape
                + ", \"cpu mem\": \"0 b\", \"args\": {}}";
    }
}
