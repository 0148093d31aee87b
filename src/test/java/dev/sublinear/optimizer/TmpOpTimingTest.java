package dev.sublinear.optimizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class TmpOpTimingTest {
    static void time(String name, Runnable r) {
        for (int i = 0; i < 20; i++) r.run();
        long[] t = new long[41];
        for (int i = 0; i < t.length; i++) {
            long s = System.nanoTime();
            r.run();
            t[i] = System.nanoTime() - s;
        }
        Arrays.sort(t);
        System.out.printf("OPT %-28s %8.3f ms%n", name, t[t.length / 2] / 1e6);
    }

    @Test
    void ops() {
        try (NDManager m = NDManager.newBaseManager()) {
            Shape s = new Shape(1024, 1024);
            NDArray g = m.randomNormal(s);
            NDArray x = m.randomNormal(s);
            NDArray col = m.randomNormal(new Shape(1, 1024)).abs();
            NDArray row = m.randomNormal(new Shape(1024, 1)).abs();
            time("norm(-1)", () -> {
                try (NDManager t = m.newSubManager()) {
                    g.norm(2, new int[] {-1}, false).close();
                }
            });
            time("norm(-2)", () -> {
                try (NDManager t = m.newSubManager()) {
                    g.norm(2, new int[] {-2}, false).close();
                }
            });
            time("sum(-1) of square", () -> {
                NDArray q = g.square();
                q.sum(new int[] {-1}).close();
                q.close();
            });
            time("square", () -> g.square().close());
            NDArray sq = g.square();
            time("sum(-2) of a square", () -> sq.sum(new int[] {-2}).close());
            time("sum(-1) of a square", () -> sq.sum(new int[] {-1}).close());
            time("square+sum(-2)", () -> {
                NDArray q = g.square();
                q.sum(new int[] {-2}).close();
                q.close();
            });
            NDArray g3 = m.randomNormal(new Shape(4, 256, 1024));
            time("batched norm(-2)", () -> g3.norm(2, new int[] {-2}, false).close());
            time("batched square+sum(-2)", () -> {
                NDArray q = g3.square();
                q.sum(new int[] {-2}).close();
                q.close();
            });
            NDArray c2 = col.reshape(1024, 1);
            time("gemv sq @ c", () -> sq.matMul(c2).close());
            NDArray g384 = m.randomNormal(new Shape(384, 1536));
            time("384x1536 norm(-1)", () -> g384.norm(2, new int[] {-1}, false).close());
            time("384x1536 square", () -> g384.square().close());
            time("384x1536 muli", () -> g384.muli(1.0001f));
            time("norm all", () -> x.norm().close());
            time("dot flat", () -> {
                NDArray f = x.reshape(-1);
                f.dot(f).close();
                f.close();
            });
            time("muli col (in place)", () -> g.muli(col));
            time("mul col (alloc)", () -> g.mul(col).close());
            time("muli row", () -> g.muli(row));
            time("subi", () -> x.subi(g));
            time("x.sub alloc", () -> x.sub(g).close());
            time("zeros_ via muli 0", () -> g.muli(1f));
        }
    }
}
