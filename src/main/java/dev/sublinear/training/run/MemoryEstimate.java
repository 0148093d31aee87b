package dev.sublinear.training.run;

import dev.sublinear.optimizer.Adafactor;
import dev.sublinear.training.data.ByteTokenizer;
import dev.sublinear.training.data.Encoder;
import dev.sublinear.training.data.Example;
import dev.sublinear.training.data.TaskType;
import dev.sublinear.training.data.Tokenizer;
import dev.sublinear.training.data.TrainingData;
import dev.sublinear.training.model.ModelConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * What a run holds in memory at its peak, worked out from its settings and data before it starts,
 * so that a job that cannot fit is refused at creation instead of taking its worker down.
 *
 * <p>Counted, in float32 on one device: the parameters, their gradients, the optimizer's state
 * (Adafactor's factored second moments — a row and a column vector per matrix — plus momentum when
 * beta1 &gt; 0 and the step's temporaries (see {@link Adafactor#BATCH_ELEMENTS}); Adam's and AdamW's two full
 * moments), the activations that autograd keeps for one micro-batch (see {@link
 * #activationElements}), and the examples the run keeps in memory. Gradient accumulation does not
 * multiply the activations: the training loop frees each micro-batch's activations after its
 * backward pass, only the last one lives until the optimizer step. Not counted: what a process pays
 * once for its first training (libtorch's thread pools and kernels, the JVM's own growth); the
 * worker's run-time guard measures that too.
 *
 * @param rows examples per micro-batch on one device
 * @param length tokens per example in a micro-batch (batches are padded to their longest example)
 * @param parameterBytes the model's parameters
 * @param gradientBytes one gradient per parameter
 * @param optimizerBytes the optimizer's state and work buffers
 * @param activationBytes one micro-batch's forward activations and its backward pass's peak
 * @param dataBytes the training and validation examples, as text and as token arrays
 * @param overheadBytes what measured runs held beyond the parts above: about twice the parameters'
 *     size, three times with Adam's or AdamW's update. Measured with it, peak growth of resident
 *     memory in fresh processes (lm-tiny and lm-small, 2 to 128 rows of 16 to 256 tokens, one and four
 *     micro-batches a step) came within 40 MB, at most 14%, of the estimate, above and below
 */
public record MemoryEstimate(
        int rows,
        int length,
        long parameterBytes,
        long gradientBytes,
        long optimizerBytes,
        long activationBytes,
        long dataBytes,
        long overheadBytes) {

    private static final long FLOAT = Float.BYTES;

    public long totalBytes() {
        return parameterBytes + gradientBytes + optimizerBytes + activationBytes + dataBytes + overheadBytes;
    }

    /** The parts that do not grow with the micro-batch: model, gradients, optimizer, overhead, examples. */
    public long fixedBytes() {
        return totalBytes() - activationBytes;
    }

    /**
     * The most rows a micro-batch of this length may have for the whole to stay within {@code budgetBytes}
     * (activations grow in proportion to the rows); 0 when not even one fits.
     */
    public int rowsWithin(long budgetBytes) {
        long perRow = activationBytes / Math.max(rows, 1);
        long room = budgetBytes - fixedBytes();
        return room < perRow ? 0 : (int) Math.min(Integer.MAX_VALUE, room / Math.max(perRow, 1));
    }

    /**
     * The estimate for training {@code config} on {@code data} with {@code devices} devices (each
     * holds a copy of the model and its share of every micro-batch; the estimate is per device).
     */
    public static MemoryEstimate of(
            ModelConfig config,
            OptimizerConfig optimizer,
            TrainingPlan hyperparameters,
            TrainingData data,
            int devices) {
        return of(config, optimizer, hyperparameters, data, devices, new ByteTokenizer());
    }

    /** As {@link #of(ModelConfig, OptimizerConfig, TrainingPlan, TrainingData, int)}, in {@code tokenizer}'s tokens. */
    public static MemoryEstimate of(
            ModelConfig config,
            OptimizerConfig optimizer,
            TrainingPlan hyperparameters,
            TrainingData data,
            int devices,
            Tokenizer tokenizer) {
        // batches are padded to their longest example: the longest one sets every array's length
        Encoder encoder = new Encoder(tokenizer, config.contextLength(), data.labels());
        int longest = 1;
        long dataBytes = 0;
        for (List<Example> examples : List.of(data.training(), data.validation())) {
            for (Example e : examples) {
                Encoder.Encoded encoded = encoder.encode(e);
                longest = Math.max(longest, encoded.length());
                dataBytes += exampleBytes(e, encoded);
            }
        }
        int rows = Math.min(
                hyperparameters.batchSize(),
                Math.max(data.training().size(), data.validation().size()));
        int perDevice = (rows + devices - 1) / devices;
        return of(config, optimizer, perDevice, longest, dataBytes);
    }

    /** The estimate for micro-batches of {@code rows} rows of {@code length} tokens on one device. */
    public static MemoryEstimate of(
            ModelConfig config, OptimizerConfig optimizer, int rows, int length, long dataBytes) {
        // in doubles: an uploaded model's configuration is the user's, and its sizes must not wrap around
        double parameters = 0;
        double state = 0;
        double largest = 0;
        double groupable = 0;
        // every decoder layer has the same parameters: one layer's, counted as many times as there are layers
        for (Map.Entry<List<long[]>, Double> part : List.of(
                Map.entry(outerShapes(config), 1.0), Map.entry(layerShapes(config), (double) config.layers()))) {
            double times = part.getValue();
            for (long[] shape : part.getKey()) {
                double size = size(shape);
                parameters += times * size;
                largest = Math.max(largest, size);
                if (size <= Adafactor.GROUP_LIMIT) {
                    groupable += times * size;
                }
                state += times
                        * switch (optimizer.type()) {
                            case ADAM, ADAMW -> 2 * size;
                            case ADAFACTOR ->
                                (factored(optimizer, shape) ? (double) shape[0] + shape[1] : size)
                                        + (optimizer.options().beta1() > 0f ? size : 0);
                        };
            }
        }
        if (optimizer.type() == OptimizerConfig.Type.ADAFACTOR) {
            // a step's temporaries: the engine-op path's G^2 or V^-1/2 of the largest parameter, or
            // a batch of grouped parameters' concatenated weights, gradients and squares
            state += Math.max(largest, 3 * Math.min(groupable, Adafactor.BATCH_ELEMENTS));
        }
        double overhead = (optimizer.type() == OptimizerConfig.Type.ADAFACTOR ? 2 : 3) * parameters;
        return new MemoryEstimate(
                rows,
                length,
                bytes(parameters),
                bytes(parameters),
                bytes(state),
                bytes(activationElements(config, rows, length)),
                dataBytes,
                bytes(overhead));
    }

    /**
     * Elements autograd keeps alive through one micro-batch of {@code rows} × {@code length}, counted
     * array by array from the blocks' forward passes (every intermediate is an array of the
     * micro-batch's scope until it is closed), plus one layer's worth for the backward pass's
     * gradients, which are made and freed layer by layer.
     */
    static double activationElements(ModelConfig c, double rows, double length) {
        double tokens = rows * length;
        double d = c.width();
        // per layer, [B, T, d]-sized: attention norm, q/k/v (3), attention output, its merged
        // copy, out projection, residual, MLP norm, MLP out, residual = 11; [B, T, mlp]: MLP in and
        // its GELU = 2; [B, T]: the two norms' saved mean and deviation = 4
        double perLayer = tokens * (11 * d + 2.0 * c.mlpWidth() + 4)
                // [B, heads, T, T]: scores, scaled, masked, softmax; [B, 1, T, T]: the mask's 3 steps
                + tokens * length * (4.0 * c.heads() + 3);
        double stack = c.layers() * perLayer + 3 * tokens * d; // token and position embeddings, final norm
        double head = c.task() == TaskType.CAUSAL_LM
                ? 2 * tokens * c.vocabularySize() // logits and their log-softmax
                : tokens * d + rows * (d + c.labels().size()); // masked hidden states, pooled, logits
        return stack + head + perLayer;
    }

    /** The parameters' shapes, block by block, as {@link dev.sublinear.training.model.LoadedModel} builds them. */
    static List<long[]> parameterShapes(ModelConfig c) {
        List<long[]> shapes = new ArrayList<>(outerShapes(c));
        for (int i = 0; i < c.layers(); i++) {
            shapes.addAll(layerShapes(c));
        }
        return shapes;
    }

    /** One decoder layer's parameters. */
    private static List<long[]> layerShapes(ModelConfig c) {
        long d = c.width();
        long m = c.mlpWidth();
        return List.of(
                new long[] {d}, new long[] {d}, // attention norm: gamma, beta
                new long[] {3 * d, d}, new long[] {3 * d}, // qkv
                new long[] {d, d}, new long[] {d}, // out
                new long[] {d}, new long[] {d}, // MLP norm
                new long[] {m, d}, new long[] {m}, // MLP in
                new long[] {d, m}, new long[] {d}); // MLP out
    }

    /** The parameters outside the decoder layers: embeddings, final norm, head. */
    private static List<long[]> outerShapes(ModelConfig c) {
        long d = c.width();
        List<long[]> shapes = new ArrayList<>();
        shapes.add(new long[] {c.vocabularySize(), d});
        shapes.add(new long[] {c.contextLength(), d});
        shapes.add(new long[] {d}); // final norm
        shapes.add(new long[] {d});
        if (c.task() == TaskType.CAUSAL_LM) {
            shapes.add(new long[] {c.vocabularySize(), d}); // LM head, no bias
        } else {
            shapes.add(new long[] {c.labels().size(), d});
            shapes.add(new long[] {c.labels().size()});
        }
        return shapes;
    }

    /** As Adafactor decides: a matrix whose two dimensions both reach the minimum. */
    private static boolean factored(OptimizerConfig o, long[] shape) {
        return o.options().factored()
                && shape.length == 2
                && shape[0] >= o.options().minDimSizeToFactor()
                && shape[1] >= o.options().minDimSizeToFactor();
    }

    /** An example's text (at most two bytes a character) and its token arrays (ints and a float mask). */
    private static long exampleBytes(Example e, Encoder.Encoded encoded) {
        long chars;
        if (e instanceof Example.Completion c) {
            chars = c.prompt().length() + c.completion().length();
        } else if (e instanceof Example.Text t) {
            chars = t.text().length();
        } else if (e instanceof Example.Chat c) {
            chars = c.messages().stream()
                    .mapToLong(m -> m.role().length() + m.content().length() + 16L)
                    .sum();
        } else {
            Example.Labeled l = (Example.Labeled) e;
            chars = l.text().length() + l.label().length();
        }
        long arrays = encoded.targets() == null ? 1 : 3;
        return 2 * chars + FLOAT * arrays * encoded.length() + 128; // 128: the objects' headers
    }

    private static double size(long[] shape) {
        double size = 1;
        for (long s : shape) {
            size *= s;
        }
        return size;
    }

    /** Float32 elements as bytes, exact below 2^53 elements, saturated far above any budget. */
    private static long bytes(double elements) {
        return (long) Math.min(elements * FLOAT, Long.MAX_VALUE / 8.0); // six parts summed stay below overflow
    }
}
