package dev.sublinear.training.chat;

import java.util.Map;

/**
 * What {@code {{ }}} prints, as Python's {@code str()} writes it where Jinjava writes otherwise:
 * {@code True}/{@code False} for booleans, Python's repr inside lists and dicts ({@code ['a', True]}).
 * Nothing stays nothing: Jinjava cannot tell none from undefined, and an undefined prints as nothing in
 * Jinja2 too.
 */
final class PythonOutput {

    static final String FUNCTION = "py_str";

    private PythonOutput() {}

    /** The function {@value #FUNCTION}: the value as it prints. */
    public static Object print(Object var) {
        if (var instanceof Boolean || var instanceof Iterable<?> || var instanceof Map<?, ?>) {
            return str(var);
        }
        return var;
    }

    private static String str(Object value) {
        if (value instanceof Boolean b) {
            return b ? "True" : "False";
        }
        return repr(value);
    }

    private static String repr(Object value) {
        if (value == null) {
            return "None";
        }
        if (value instanceof Boolean b) {
            return b ? "True" : "False";
        }
        if (value instanceof CharSequence s) {
            String text = s.toString();
            boolean single = !text.contains("'") || text.contains("\"");
            String escaped = text.replace("\\", "\\\\")
                    .replace("\n", "\\n")
                    .replace("\r", "\\r")
                    .replace("\t", "\\t");
            return single ? "'" + escaped.replace("'", "\\'") + "'" : "\"" + escaped + "\"";
        }
        if (value instanceof Map<?, ?> map) {
            StringBuilder out = new StringBuilder("{");
            boolean first = true;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                out.append(first ? "" : ", ")
                        .append(repr(e.getKey()))
                        .append(": ")
                        .append(repr(e.getValue()));
                first = false;
            }
            return out.append('}').toString();
        }
        if (value instanceof Iterable<?> list) {
            StringBuilder out = new StringBuilder("[");
            boolean first = true;
            for (Object item : list) {
                out.append(first ? "" : ", ").append(repr(item));
                first = false;
            }
            return out.append(']').toString();
        }
        return value.toString();
    }
}
