package dev.sublinear.training.run;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.sublinear.training.data.Encoder.Encoded;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Fixed-size batches over encoded examples, reshuffled each epoch from the seed alone, so that a
 * position (epoch, batch) names the same examples in every run: resuming needs nothing more.
 */
public final class Batches {

    private final List<Encoded> examples;
    private final int batchSize;
    private final long seed;
    private final int padId;
    private final boolean shuffle;

    public Batches(List<Encoded> examples, int batchSize, long seed, int padId, boolean shuffle) {
        this.examples = examples;
        this.batchSize = batchSize;
        this.seed = seed;
        this.padId = padId;
        this.shuffle = shuffle;
    }

    public int perEpoch() {
        return (examples.size() + batchSize - 1) / batchSize;
    }

    boolean isEmpty() {
        return examples.isEmpty();
    }

    /** The examples of batch {@code index} (from 0) of epoch {@code epoch} (from 1). */
    public List<Encoded> batch(int epoch, int index) {
        List<Integer> order = new ArrayList<>(examples.size());
        for (int i = 0; i < examples.size(); i++) {
            order.add(i);
        }
        if (shuffle) {
            Collections.shuffle(order, new Random(seed * 1_000_003L + epoch));
        }
        List<Encoded> batch = new ArrayList<>(batchSize);
        for (int i = index * batchSize; i < Math.min(examples.size(), (index + 1) * batchSize); i++) {
            batch.add(examples.get(order.get(i)));
        }
        return batch;
    }

    /**
     * Padded arrays: inputs = (tokens [B, T] int64, mask [B, T]); labels = (targets [B, T] int64,
     * loss mask [B, T]) for causal LM, or (label [B] int64) for classification.
     */
    public static Arrays toArrays(NDManager manager, List<Encoded> batch, int padId) {
        int rows = batch.size();
        int length = batch.stream().mapToInt(Encoded::length).max().orElse(1);
        long[] tokens = new long[rows * length];
        float[] mask = new float[rows * length];
        boolean causal = batch.get(0).targets() != null;
        long[] targets = causal ? new long[rows * length] : null;
        float[] lossMask = causal ? new float[rows * length] : null;
        long[] labels = causal ? null : new long[rows];
        long tokenCount = 0;
        for (int r = 0; r < rows; r++) {
            Encoded e = batch.get(r);
            for (int t = 0; t < length; t++) {
                int at = r * length + t;
                boolean real = t < e.length();
                tokens[at] = real ? e.inputs()[t] : padId;
                mask[at] = real ? 1f : 0f;
                if (causal) {
                    targets[at] = real ? e.targets()[t] : padId;
                    lossMask[at] = real ? e.lossMask()[t] : 0f;
                }
            }
            tokenCount += e.length();
            if (!causal) {
                labels[r] = e.label();
            }
        }
        Shape shape = new Shape(rows, length);
        NDList inputs = new NDList(manager.create(tokens, shape), manager.create(mask, shape));
        NDList labelList = causal
                ? new NDList(manager.create(targets, shape), manager.create(lossMask, shape))
                : new NDList(manager.create(labels, new Shape(rows)));
        return new Arrays(inputs, labelList, tokenCount, rows);
    }

    /** A batch on a device. */
    public record Arrays(NDList inputs, NDList labels, long tokens, int rows) {

        /** Rows [from, to) of every array, moved to {@code manager}'s device. */
        Arrays slice(NDManager manager, int from, int to) {
            NDList in = new NDList();
            for (NDArray a : inputs) {
                in.add(a.get("{}:{}", from, to).toDevice(manager.getDevice(), false));
            }
            NDList out = new NDList();
            for (NDArray a : labels) {
                out.add(a.get("{}:{}", from, to).toDevice(manager.getDevice(), false));
            }
            return new Arrays(in, out, tokens * (to - from) / Math.max(rows, 1), to - from);
        }
    }
}
