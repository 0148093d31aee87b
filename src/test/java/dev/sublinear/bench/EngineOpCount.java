package dev.sublinear.bench;

import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * The engine operations a piece of code launches, read from PyTorch's own profiler (through DJL's
 * {@link JniUtils#startProfile}, which writes a Chrome trace of every aten op with its input dims),
 * and the full-size tensor traffic they make for one parameter shape.
 *
 * <p>An operation counts once when it is top-level: an aten op whose time span lies inside another
 * aten op's span on the same thread (the {@code copy_} inside {@code to}, the {@code as_strided}
 * inside {@code sum}) is part of that op, not a launch of its own.
 *
 * <p>Traffic per top-level op, in passes over a parameter of {@code n} elements (a tensor is
 * full-size when it has {@code n} elements, so a transposed copy counts too; a block of the
 * parameter's rows, of its rank and trailing dims, counts as its share of the rows, so blocks that
 * cover the parameter once add up to one pass):
 *
 * <ul>
 *   <li>each full-size input is a read; an op that only overwrites its first input ({@code copy_},
 *       {@code fill_}, {@code zero_}, random fills) does not read that one;
 *   <li>an in-place op (name ends with {@code _}) writes its first input;
 *   <li>an out-of-place op writes its output, whose size is the broadcast of its inputs' dims (so
 *       {@code row * column} writes a full-size outer product from two vectors) or, for matrix
 *       products, the product's;
 *   <li>reductions ({@code sum}, {@code norm}, {@code dot}, {@code max} ...) write nothing full-size,
 *       views and allocations ({@code slice}, {@code view}, {@code empty} ...) neither read nor write,
 *       and {@code to}, {@code reshape} or {@code contiguous} count as a copy only when the profiler
 *       saw them copy.
 * </ul>
 */
final class EngineOpCount {

    private static final String ATEN = "aten::";
    private static final Set<String> VIEWS_AND_ALLOCATIONS = Set.of(
            "as_strided",
            "slice",
            "select",
            "view",
            "view_as",
            "_reshape_alias",
            "_unsafe_view",
            "expand",
            "expand_as",
            "squeeze",
            "unsqueeze",
            "transpose",
            "t",
            "permute",
            "narrow",
            "split",
            "chunk",
            "unbind",
            "detach",
            "detach_",
            "alias",
            "lift_fresh",
            "empty",
            "empty_like",
            "empty_strided",
            "resize_",
            "set_",
            "requires_grad_",
            "is_nonzero");
    /** Ops that return their input unchanged unless they must copy (then a copy is nested in them). */
    private static final Set<String> COPY_IF_NEEDED = Set.of("to", "reshape", "contiguous", "flatten", "type_as");

    private static final Set<String> COPIES = Set.of("copy_", "_to_copy", "clone");
    /** In-place ops that overwrite their first input without reading it. */
    private static final Set<String> OVERWRITES =
            Set.of("copy_", "fill_", "zero_", "normal_", "uniform_", "random_", "bernoulli_");

    private static final Set<String> REDUCTIONS = Set.of(
            "sum",
            "nansum",
            "mean",
            "norm",
            "linalg_vector_norm",
            "linalg_norm",
            "frobenius_norm",
            "dot",
            "vdot",
            "max",
            "min",
            "amax",
            "amin",
            "aminmax",
            "argmax",
            "argmin",
            "prod",
            "all",
            "any",
            "std",
            "var",
            "std_mean",
            "var_mean",
            "count_nonzero",
            "logsumexp",
            "median",
            "equal",
            "allclose",
            "item",
            "_local_scalar_dense");
    private static final Set<String> MATRIX_PRODUCTS = Set.of("mm", "matmul", "bmm", "addmm", "outer", "ger");

    /** One aten op as the trace records it: name without {@code aten::}, thread, span in µs, input dims. */
    record Op(String name, long thread, double start, double duration, List<long[]> inputs, List<String> nested) {
        double end() {
            return start + duration;
        }
    }

    /** Full-size reads and writes of one piece of code for one parameter shape. */
    /** Reads and writes in passes over the parameter: a block of a quarter of its rows is 0.25. */
    record Traffic(double reads, double writes) {
        @Override
        public String toString() {
            return passes(reads) + "R/" + passes(writes) + "W";
        }

        private static String passes(double value) {
            return value == Math.rint(value) ? String.valueOf((long) value) : String.format(Locale.ROOT, "%.1f", value);
        }
    }

    private final List<Op> topLevel;

    private EngineOpCount(List<Op> topLevel) {
        this.topLevel = List.copyOf(topLevel);
    }

    /**
     * Runs {@code code} under the profiler (CPU events, input shapes recorded) on the calling thread.
     *
     * @throws IllegalStateException when the profiler recorded no input dims for an op that had inputs
     */
    static EngineOpCount profile(Runnable code) throws IOException {
        Path trace = Files.createTempFile("engine-ops", ".json");
        try {
            JniUtils.startProfile(false, true, false);
            try {
                code.run();
            } finally {
                JniUtils.stopProfile(trace.toString());
            }
            return parse(Files.readString(trace, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(trace);
        }
    }

    /** Reads a trace as DJL writes it (a JSON array of complete events, {@code shape} per event). */
    static EngineOpCount parse(String json) {
        List<Op> ops = new ArrayList<>();
        for (JsonElement element : JsonParser.parseString(json).getAsJsonArray()) {
            JsonObject event = element.getAsJsonObject();
            String name = event.get("name").getAsString();
            if (!name.startsWith(ATEN)) {
                continue;
            }
            List<long[]> inputs = new ArrayList<>();
            JsonElement shapes = event.get("shape");
            if (shapes != null && shapes.isJsonArray()) {
                for (JsonElement dims : shapes.getAsJsonArray()) {
                    JsonArray array = dims.getAsJsonArray();
                    long[] d = new long[array.size()];
                    for (int i = 0; i < d.length; i++) {
                        d[i] = array.get(i).getAsLong();
                    }
                    inputs.add(d);
                }
            }
            ops.add(new Op(
                    name.substring(ATEN.length()),
                    event.get("tid").getAsLong(),
                    event.get("ts").getAsDouble(),
                    event.get("dur").getAsDouble(),
                    inputs,
                    new ArrayList<>()));
        }
        return new EngineOpCount(topLevel(ops));
    }

    /** The ops not inside another op's span on their thread, each with the names of the ops nested in it. */
    private static List<Op> topLevel(List<Op> ops) {
        // by thread, then start; at equal starts the longer (enclosing) op first
        List<Op> sorted = new ArrayList<>(ops);
        sorted.sort(Comparator.comparingLong(Op::thread)
                .thenComparingDouble(Op::start)
                .thenComparing(Comparator.comparingDouble(Op::duration).reversed()));
        List<Op> top = new ArrayList<>();
        Map<Long, Op> open = new HashMap<>();
        for (Op op : sorted) {
            Op enclosing = open.get(op.thread());
            if (enclosing != null && op.start() < enclosing.end()) {
                enclosing.nested().add(op.name());
            } else {
                top.add(op);
                open.put(op.thread(), op);
            }
        }
        top.sort(Comparator.comparingDouble(Op::start));
        return top;
    }

    List<Op> topLevel() {
        return topLevel;
    }

    /** Top-level engine operations. */
    int operations() {
        return topLevel.size();
    }

    /** Top-level ops by name, most frequent first: "mul_ 4, sum 2". */
    String byName() {
        Map<String, Integer> counts = new TreeMap<>();
        for (Op op : topLevel) {
            counts.merge(op.name(), 1, Integer::sum);
        }
        return counts.entrySet().stream()
                .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
                .map(e -> e.getKey() + " " + e.getValue())
                .collect(Collectors.joining(", "));
    }

    /** Top-level ops' time under the profiler by name, longest first: "mul_ 1.2 ms, sum 0.4 ms". */
    String timeByName() {
        Map<String, Double> micros = new TreeMap<>();
        for (Op op : topLevel) {
            micros.merge(op.name(), op.duration(), Double::sum);
        }
        return micros.entrySet().stream()
                .sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                .map(e -> String.format(Locale.ROOT, "%s %.2f ms", e.getKey(), e.getValue() / 1000))
                .collect(Collectors.joining(", "));
    }

    /** Reads and writes of a parameter of shape {@code parameter}, in passes over it. */
    Traffic traffic(Shape parameter) {
        long[] dims = parameter.getShape();
        double reads = 0;
        double writes = 0;
        for (Op op : topLevel) {
            Traffic t = traffic(op, dims);
            reads += t.reads();
            writes += t.writes();
        }
        return new Traffic(reads, writes);
    }

    private static Traffic traffic(Op op, long[] parameter) {
        long size = elements(parameter);
        String name = op.name();
        if (VIEWS_AND_ALLOCATIONS.contains(name)) {
            return new Traffic(0, 0);
        }
        if (COPY_IF_NEEDED.contains(name) && op.nested().stream().noneMatch(COPIES::contains)) {
            return new Traffic(0, 0);
        }
        List<long[]> inputs = op.inputs();
        double reads = 0;
        for (int i = 0; i < inputs.size(); i++) {
            boolean overwritten = i == 0 && OVERWRITES.contains(name);
            if (!overwritten) {
                reads += share(inputs.get(i), parameter);
            }
        }
        double writes;
        if (REDUCTIONS.contains(name)) {
            writes = 0;
        } else if (name.endsWith("_")) {
            writes = inputs.isEmpty() ? 0 : share(inputs.get(0), parameter);
        } else if (MATRIX_PRODUCTS.contains(name)) {
            writes = productElements(name, inputs) == size ? 1 : 0;
        } else {
            writes = broadcastElements(inputs) == size ? 1 : 0;
        }
        return new Traffic(reads, writes);
    }

    /**
     * The part of the parameter a tensor is: 1 for one of the parameter's element count (not a
     * scalar or a non-tensor argument, both recorded as []), the share of its rows for a block of
     * rows (same rank and trailing dims, two rows or more but fewer than the parameter's; a single
     * row is a broadcast vector), else 0.
     */
    private static double share(long[] dims, long[] parameter) {
        if (dims.length == 0) {
            return 0;
        }
        long size = elements(parameter);
        if (elements(dims) == size) {
            return 1;
        }
        if (dims.length < 2 || dims.length != parameter.length || dims[0] < 2 || dims[0] >= parameter[0]) {
            return 0;
        }
        for (int i = 1; i < dims.length; i++) {
            if (dims[i] != parameter[i]) {
                return 0;
            }
        }
        return dims[0] / (double) parameter[0];
    }

    private static long elements(long[] dims) {
        long n = 1;
        for (long d : dims) {
            n *= d;
        }
        return n;
    }

    /** Element count of the broadcast of all inputs' dims (right-aligned, 1 stretches). */
    private static long broadcastElements(List<long[]> inputs) {
        int rank = inputs.stream().mapToInt(d -> d.length).max().orElse(0);
        if (rank == 0) {
            return -1;
        }
        long[] out = new long[rank];
        Arrays.fill(out, 1);
        for (long[] dims : inputs) {
            for (int i = 0; i < dims.length; i++) {
                int k = rank - dims.length + i;
                out[k] = out[k] == 1 ? dims[i] : out[k];
            }
        }
        return elements(out);
    }

    private static long productElements(String name, List<long[]> inputs) {
        List<long[]> tensors = inputs.stream().filter(d -> d.length > 0).collect(Collectors.toList());
        if (name.equals("addmm") && tensors.size() >= 3) {
            tensors = tensors.subList(1, 3);
        }
        if (tensors.size() < 2) {
            return -1;
        }
        long[] a = tensors.get(0);
        long[] b = tensors.get(1);
        if (name.equals("outer") || name.equals("ger")) {
            return elements(a) * elements(b);
        }
        long rows = a.length >= 2 ? elements(a) / a[a.length - 1] : 1;
        long columns = b.length >= 2 ? b[b.length - 1] : 1;
        return rows * columns;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%d ops (%s)", operations(), byName());
    }
}
