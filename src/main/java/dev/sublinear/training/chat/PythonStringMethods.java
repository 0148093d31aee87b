package dev.sublinear.training.chat;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Python's {@code str} and {@code dict} methods that chat templates call ({@code
 * content.startswith('<think>')}, {@code content.split('</think>')[-1]}, {@code message.get('x')}),
 * which Jinja2 offers because its values are Python objects and Jinjava does not have. Java's own
 * {@code String.split} and {@code strip} exist but differ (a regex; trailing empty parts dropped), so
 * these come first.
 */
final class PythonStringMethods extends ELResolver {

    private static final Set<String> STRING_METHODS = Set.of(
            "startswith",
            "endswith",
            "split",
            "rsplit",
            "strip",
            "lstrip",
            "rstrip",
            "upper",
            "lower",
            "title",
            "capitalize",
            "replace",
            "find",
            "rfind",
            "count",
            "isdigit",
            "isspace",
            "isalpha",
            "splitlines");
    private static final Set<String> DICT_METHODS = Set.of("get", "items", "keys", "values");

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] types, Object[] params) {
        if (!(method instanceof String name)) {
            return null;
        }
        Object[] args = params == null ? new Object[0] : params;
        if (base instanceof String s && STRING_METHODS.contains(name)) {
            context.setPropertyResolved(true);
            return string(s, name, args);
        }
        if (base instanceof Map<?, ?> map && DICT_METHODS.contains(name) && !map.containsKey(name)) {
            context.setPropertyResolved(true);
            return dict(map, name, args);
        }
        return null;
    }

    private static Object string(String s, String name, Object[] args) {
        return switch (name) {
            case "startswith" -> anyOf(args[0], s::startsWith);
            case "endswith" -> anyOf(args[0], s::endsWith);
            case "split" -> split(s, arg(args, 0), args.length > 1 ? ((Number) args[1]).intValue() : -1);
            case "rsplit" -> rsplit(s, arg(args, 0), args.length > 1 ? ((Number) args[1]).intValue() : -1);
            case "strip" -> rstrip(lstrip(s, arg(args, 0)), arg(args, 0));
            case "lstrip" -> lstrip(s, arg(args, 0));
            case "rstrip" -> rstrip(s, arg(args, 0));
            case "upper" -> s.toUpperCase(Locale.ROOT);
            case "lower" -> s.toLowerCase(Locale.ROOT);
            case "title" -> title(s);
            case "capitalize" ->
                s.isEmpty()
                        ? s
                        : s.substring(0, 1).toUpperCase(Locale.ROOT)
                                + s.substring(1).toLowerCase(Locale.ROOT);
            case "replace" ->
                replace(s, (String) args[0], (String) args[1], args.length > 2 ? ((Number) args[2]).intValue() : -1);
            case "find" -> (long) s.indexOf((String) args[0]);
            case "rfind" -> (long) s.lastIndexOf((String) args[0]);
            case "count" -> count(s, (String) args[0]);
            case "isdigit" -> !s.isEmpty() && s.chars().allMatch(Character::isDigit);
            case "isspace" -> !s.isEmpty() && s.chars().allMatch(PythonStringMethods::isSpace);
            case "isalpha" -> !s.isEmpty() && s.chars().allMatch(Character::isLetter);
            case "splitlines" -> List.of(s.split("\r\n|\r|\n", -1)).subList(0, lineCount(s));
            default -> throw new IllegalStateException(name);
        };
    }

    private static Object dict(Map<?, ?> map, String name, Object[] args) {
        return switch (name) {
            case "get" -> map.containsKey(args[0]) ? map.get(args[0]) : args.length > 1 ? args[1] : null;
            case "items" ->
                map.entrySet().stream()
                        .map(e -> List.of(e.getKey(), e.getValue()))
                        .toList();
            case "keys" -> new ArrayList<>(map.keySet());
            case "values" -> new ArrayList<>(map.values());
            default -> throw new IllegalStateException(name);
        };
    }

    private static String arg(Object[] args, int i) {
        return args.length > i && args[i] != null ? args[i].toString() : null;
    }

    /** {@code startswith} takes a string or a tuple (a list here) of strings. */
    private static boolean anyOf(Object prefixes, Predicate<String> test) {
        if (prefixes instanceof Iterable<?> many) {
            for (Object p : many) {
                if (test.test(p.toString())) {
                    return true;
                }
            }
            return false;
        }
        return test.test(prefixes.toString());
    }

    /** Python's whitespace: what {@code str.split()} and {@code str.strip()} remove by default. */
    private static boolean isSpace(int c) {
        return Character.isWhitespace(c)
                || Character.isSpaceChar(c)
                || c == 0x1c
                || c == 0x1d
                || c == 0x1e
                || c == 0x1f
                || c == 0x85;
    }

    private static String lstrip(String s, String chars) {
        int i = 0;
        while (i < s.length() && strippable(s.charAt(i), chars)) {
            i++;
        }
        return s.substring(i);
    }

    private static String rstrip(String s, String chars) {
        int i = s.length();
        while (i > 0 && strippable(s.charAt(i - 1), chars)) {
            i--;
        }
        return s.substring(0, i);
    }

    private static boolean strippable(char c, String chars) {
        return chars == null ? isSpace(c) : chars.indexOf(c) >= 0;
    }

    private static List<String> split(String s, String separator, int max) {
        List<String> parts = new ArrayList<>();
        if (separator == null) {
            // runs of whitespace separate; none at either end
            int i = 0;
            while (true) {
                while (i < s.length() && isSpace(s.charAt(i))) {
                    i++;
                }
                if (i >= s.length()) {
                    break;
                }
                if (max >= 0 && parts.size() == max) {
                    parts.add(rstrip(s.substring(i), null));
                    break;
                }
                int j = i;
                while (j < s.length() && !isSpace(s.charAt(j))) {
                    j++;
                }
                parts.add(s.substring(i, j));
                i = j;
            }
            return parts;
        }
        if (separator.isEmpty()) {
            throw new IllegalArgumentException("empty separator");
        }
        int from = 0;
        int at;
        while ((max < 0 || parts.size() < max) && (at = s.indexOf(separator, from)) >= 0) {
            parts.add(s.substring(from, at));
            from = at + separator.length();
        }
        parts.add(s.substring(from));
        return parts;
    }

    private static List<String> rsplit(String s, String separator, int max) {
        if (separator == null || max < 0) {
            return split(s, separator, max);
        }
        List<String> parts = new ArrayList<>();
        int to = s.length();
        int at;
        while (parts.size() < max && (at = s.lastIndexOf(separator, to - separator.length())) >= 0) {
            parts.add(0, s.substring(at + separator.length(), to));
            to = at;
        }
        parts.add(0, s.substring(0, to));
        return parts;
    }

    private static String replace(String s, String old, String replacement, int count) {
        if (count < 0) {
            return s.replace(old, replacement);
        }
        StringBuilder out = new StringBuilder();
        int from = 0;
        for (int n = 0; n < count; n++) {
            int at = s.indexOf(old, from);
            if (at < 0) {
                break;
            }
            out.append(s, from, at).append(replacement);
            from = at + old.length();
        }
        return out.append(s.substring(from)).toString();
    }

    private static long count(String s, String part) {
        if (part.isEmpty()) {
            return s.length() + 1L;
        }
        long n = 0;
        for (int at = s.indexOf(part); at >= 0; at = s.indexOf(part, at + part.length())) {
            n++;
        }
        return n;
    }

    private static String title(String s) {
        StringBuilder out = new StringBuilder(s.length());
        boolean previousCased = false;
        for (char c : s.toCharArray()) {
            out.append(previousCased ? Character.toLowerCase(c) : Character.toUpperCase(c));
            previousCased = Character.isLetter(c);
        }
        return out.toString();
    }

    private static int lineCount(String s) {
        String[] lines = s.split("\r\n|\r|\n", -1);
        return lines.length > 0 && lines[lines.length - 1].isEmpty() ? lines.length - 1 : lines.length;
    }

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {
        // read-only: values are left to the resolvers after this one
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return false;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }
}
