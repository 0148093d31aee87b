package dev.sublinear.optimizer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.optimizer.Optimizer;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * Parameters and gradients for optimizer tests that must be the same on every run: the state
 * tests step, save, load and step again, and compare with an uninterrupted run.
 */
final class StepFixtures {

    private StepFixtures() {}

    /** Parameters {@code p0, p1, ...} of the given shapes, from a fixed seed. */
    static Map<String, NDArray> weights(NDManager manager, Shape... shapes) {
        Map<String, NDArray> weights = new LinkedHashMap<>();
        Random random = new Random(7);
        for (int i = 0; i < shapes.length; i++) {
            weights.put("p" + i, manager.create(gaussian(random, shapes[i].size()), shapes[i]));
        }
        return weights;
    }

    /** Steps [from, to) with gradients that depend only on the step and parameter, not on history. */
    static void train(Optimizer optimizer, Map<String, NDArray> weights, NDManager manager, int from, int to) {
        for (int step = from; step < to; step++) {
            int p = 0;
            for (Map.Entry<String, NDArray> e : weights.entrySet()) {
                Random random = new Random(1000L * step + p++);
                NDArray w = e.getValue();
                try (NDArray grad = manager.create(gaussian(random, w.size()), w.getShape())) {
                    optimizer.update(e.getKey(), w, grad);
                }
            }
        }
    }

    static float[] gaussian(Random random, long size) {
        float[] data = new float[(int) size];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) random.nextGaussian();
        }
        return data;
    }

    static float[] toFloats(double[] values) {
        float[] f = new float[values.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) values[i];
        }
        return f;
    }

    /** The array's values as doubles, read in float32 whatever its type. */
    static double[] toDoubles(NDArray array) {
        float[] f = array.toType(DataType.FLOAT32, false).toFloatArray();
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }
}
