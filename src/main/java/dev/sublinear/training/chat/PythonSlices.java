package dev.sublinear.training.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Python's three-part slices ({@code messages[::-1]}, {@code text[a:b:2]}), which Jinjava's
 * expression parser rejects (it knows {@code [a:b]}): {@link PythonSyntax} rewrites each to this
 * filter on the same operand, {@code (messages|py_slice(none, none, -1))}, which slices as Python does.
 */
final class PythonSlices implements Filter {

    static final String FILTER = "py_slice";

    @Override
    public String getName() {
        return FILTER;
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
        throw new IllegalStateException("py_slice takes its bounds as values");
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
        Long start = bound(args, 0);
        Long stop = bound(args, 1);
        Long step = bound(args, 2);
        if (var instanceof String s) {
            StringBuilder out = new StringBuilder();
            for (int i : indices(s.length(), start, stop, step)) {
                out.append(s.charAt(i));
            }
            return out.toString();
        }
        if (var instanceof Collection<?> c) {
            List<?> items = new ArrayList<>(c);
            List<Object> out = new ArrayList<>();
            for (int i : indices(items.size(), start, stop, step)) {
                out.add(items.get(i));
            }
            return out;
        }
        throw new IllegalArgumentException(
                "cannot slice " + (var == null ? "none" : var.getClass().getSimpleName()));
    }

    private static Long bound(Object[] args, int i) {
        return args.length > i && args[i] != null ? ((Number) args[i]).longValue() : null;
    }

    /** The indices Python's {@code slice(start, stop, step).indices(length)} visits. */
    static List<Integer> indices(int length, Long start, Long stop, Long step) {
        long by = step == null ? 1 : step;
        if (by == 0) {
            throw new IllegalArgumentException("slice step cannot be zero");
        }
        long from;
        long to;
        if (by > 0) {
            from = start == null ? 0 : clamp(start, length, 0, length);
            to = stop == null ? length : clamp(stop, length, 0, length);
        } else {
            from = start == null ? length - 1 : clamp(start, length, -1, length - 1);
            to = stop == null ? -1 : clamp(stop, length, -1, length - 1);
        }
        List<Integer> out = new ArrayList<>();
        for (long i = from; by > 0 ? i < to : i > to; i += by) {
            out.add((int) i);
        }
        return out;
    }

    private static long clamp(long index, int length, long low, long high) {
        long i = index < 0 ? index + length : index;
        return Math.max(low, Math.min(high, i));
    }
}
