package dev.sublinear.training.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.filter.Filter;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code tojson} filter as transformers defines it for chat templates: Python's {@code
 * json.dumps(value, ensure_ascii=False, indent=indent, separators=separators, sort_keys=sort_keys)},
 * so {@code ", "} and {@code ": "} between items and non-ASCII text as it is (Jinja2's own {@code
 * tojson}, and Jinjava's, write compact JSON and escape HTML characters instead).
 */
final class PythonJson implements Filter {

    @Override
    public String getName() {
        return "tojson";
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, String... args) {
        return filter(var, interpreter, args, Map.of());
    }

    @Override
    public Object filter(Object var, JinjavaInterpreter interpreter, Object[] args, Map<String, Object> kwargs) {
        Object indent = kwargs.getOrDefault("indent", args.length > 0 ? args[0] : null);
        boolean sortKeys = Boolean.TRUE.equals(kwargs.get("sort_keys"));
        String itemSeparator = indent == null ? ", " : ",";
        String keySeparator = ": ";
        if (kwargs.get("separators") instanceof List<?> separators && separators.size() == 2) {
            itemSeparator = separators.get(0).toString();
            keySeparator = separators.get(1).toString();
        }
        String indentText =
                indent == null ? null : indent instanceof Number n ? " ".repeat(n.intValue()) : indent.toString();
        StringBuilder out = new StringBuilder();
        write(out, var, indentText, 0, itemSeparator, keySeparator, sortKeys);
        return out.toString();
    }

    private static void write(
            StringBuilder out, Object value, String indent, int depth, String items, String keys, boolean sort) {
        if (value == null) {
            out.append("null");
        } else if (value instanceof Boolean b) {
            out.append(b ? "true" : "false");
        } else if (value instanceof Double || value instanceof Float) {
            double d = ((Number) value).doubleValue();
            out.append(
                    d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 1e16
                            ? String.valueOf(d)
                            : Double.toString(d));
        } else if (value instanceof Number n) {
            out.append(n);
        } else if (value instanceof Map<?, ?> map) {
            Map<?, ?> entries = sort ? new TreeMap<>(map) : map;
            if (entries.isEmpty()) {
                out.append("{}");
                return;
            }
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : entries.entrySet()) {
                out.append(first ? "" : items);
                first = false;
                newline(out, indent, depth + 1);
                string(out, String.valueOf(e.getKey()));
                out.append(keys);
                write(out, e.getValue(), indent, depth + 1, items, keys, sort);
            }
            newline(out, indent, depth);
            out.append('}');
        } else if (value instanceof Iterable<?> list) {
            if (!list.iterator().hasNext()) {
                out.append("[]");
                return;
            }
            out.append('[');
            boolean first = true;
            for (Object item : list) {
                out.append(first ? "" : items);
                first = false;
                newline(out, indent, depth + 1);
                write(out, item, indent, depth + 1, items, keys, sort);
            }
            newline(out, indent, depth);
            out.append(']');
        } else {
            string(out, value.toString());
        }
    }

    private static void newline(StringBuilder out, String indent, int depth) {
        if (indent != null) {
            out.append('\n').append(indent.repeat(depth));
        }
    }

    private static void string(StringBuilder out, String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
