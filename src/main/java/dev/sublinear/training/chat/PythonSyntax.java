package dev.sublinear.training.chat;

import java.util.ArrayList;
import java.util.List;

/**
 * Rewrites a template's expressions (never its text or string literals) where Jinja2's Python syntax
 * means something Jinjava parses differently or not at all; line numbers stay as they were:
 *
 * <ul>
 *   <li>three-part slices, {@code messages[::-1]}, become {@code (messages|py_slice(none, none, -1))}
 *       ({@link PythonSlices});
 *   <li>keyword arguments get parentheses, {@code namespace(i=messages|length - 1)} becomes {@code
 *       namespace(i=(messages|length - 1))}: Jinjava binds {@code i=messages|length} first;
 *   <li>what {@code {{ }}} prints goes through {@code py_str()} ({@link PythonOutput}), so that
 *       booleans print as {@code True} and {@code False}.
 * </ul>
 */
final class PythonSyntax {

    private PythonSyntax() {}

    static String rewrite(String source) {
        StringBuilder out = new StringBuilder(source);
        int at = 0;
        while (true) {
            int open = nextExpression(out, at);
            if (open < 0) {
                return out.toString();
            }
            int close = expressionEnd(out, open + 2);
            if (close < 0) {
                return out.toString();
            }
            boolean printed = out.charAt(open + 1) == '{';
            if (printed) {
                int[] moved = controlWhitespace(out, at, open, close);
                open = moved[0];
                close = moved[1];
            }
            close = rewriteSlices(out, open + 2, close);
            close = parenthesizeKeywordValues(out, open + 2, close);
            if (printed) {
                close = printAsPython(out, open + 2, close);
            }
            at = close + 2;
        }
    }

    /**
     * Jinja2's whitespace control on printed expressions, which Jinjava ignores: {@code {{-} removes
     * the whitespace before it (back to {@code from}, the end of the previous expression), {@code -}}}
     * the whitespace after it. The markers go; the removed line ends move into the expression, where
     * they are blanks, so that later lines keep their numbers. Returns the expression's new bounds.
     */
    private static int[] controlWhitespace(StringBuilder s, int from, int open, int close) {
        if (close - 1 > open + 2 && s.charAt(close - 1) == '-') {
            int after = close + 2;
            int end = after;
            while (end < s.length() && Character.isWhitespace(s.charAt(end))) {
                end++;
            }
            String removed = s.substring(after, end);
            s.delete(after, end);
            s.setCharAt(close - 1, ' ');
            String lineEnds = removed.replaceAll("[^\\n]", "");
            s.insert(close - 1, lineEnds);
            close += lineEnds.length();
        }
        if (s.charAt(open + 2) == '-') {
            int start = open;
            while (start > from && Character.isWhitespace(s.charAt(start - 1))) {
                start--;
            }
            String removed = s.substring(start, open);
            s.delete(start, open);
            close -= open - start;
            open = start;
            String lineEnds = removed.replaceAll("[^\\n]", "");
            s.setCharAt(open + 2, ' ');
            s.insert(open + 2, lineEnds);
            close += lineEnds.length();
        }
        return new int[] {open, close};
    }

    /**
     * {@code {{- x -}}} to {@code {{- py_str(x) -}}}, leaving the whitespace control and the spaces
     * around it as they were; returns where the expression now ends.
     */
    private static int printAsPython(StringBuilder s, int from, int to) {
        int start = from;
        if (start < to && (s.charAt(start) == '-' || s.charAt(start) == '+')) {
            start++;
        }
        int end = to;
        if (end > start && (s.charAt(end - 1) == '-' || s.charAt(end - 1) == '+')) {
            end--;
        }
        while (start < end && Character.isWhitespace(s.charAt(start))) {
            start++;
        }
        while (end > start && Character.isWhitespace(s.charAt(end - 1))) {
            end--;
        }
        if (start == end) {
            return to;
        }
        s.insert(end, ")");
        s.insert(start, PythonOutput.FUNCTION + "(");
        return to + PythonOutput.FUNCTION.length() + 2;
    }

    /** Wraps each {@code name=value} argument's value in parentheses. */
    private static int parenthesizeKeywordValues(StringBuilder s, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                i = stringEnd(s, i);
                if (i < 0) {
                    return to;
                }
                continue;
            }
            if (c != '(') {
                continue;
            }
            int close = matching(s, i, to, ')');
            if (close < 0) {
                continue;
            }
            int argStart = i + 1;
            int depth = 0;
            for (int j = i + 1; j <= close; j++) {
                char d = s.charAt(j);
                if (d == '\'' || d == '"') {
                    j = stringEnd(s, j);
                } else if (d == '[' || d == '(' || d == '{') {
                    depth++;
                } else if ((d == ']' || d == ')' || d == '}') && depth > 0) {
                    depth--;
                } else if ((d == ',' && depth == 0) || j == close) {
                    int added = wrapKeywordValue(s, argStart, j);
                    close += added;
                    to += added;
                    j += added;
                    argStart = j + 1;
                }
            }
        }
        return to;
    }

    /** For an argument {@code s[from, to)} of the form {@code name = value}: parenthesizes the value. */
    private static int wrapKeywordValue(StringBuilder s, int from, int to) {
        int i = from;
        while (i < to && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        int name = i;
        while (i < to && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_')) {
            i++;
        }
        if (i == name || Character.isDigit(s.charAt(name))) {
            return 0;
        }
        while (i < to && Character.isWhitespace(s.charAt(i))) {
            i++;
        }
        if (i + 1 >= to || s.charAt(i) != '=' || s.charAt(i + 1) == '=') {
            return 0;
        }
        if (s.substring(i + 1, to).isBlank()) {
            return 0;
        }
        s.insert(to, ')');
        s.insert(i + 1, '(');
        return 2;
    }

    private static int nextExpression(CharSequence s, int from) {
        for (int i = from; i + 1 < s.length(); i++) {
            if (s.charAt(i) == '{' && (s.charAt(i + 1) == '{' || s.charAt(i + 1) == '%')) {
                if (s.charAt(i + 1) == '%' && isRawTag(s, i)) {
                    int end = s.toString().indexOf("endraw", i);
                    if (end < 0) {
                        return -1;
                    }
                    i = end;
                    continue;
                }
                return i;
            }
            if (s.charAt(i) == '{' && s.charAt(i + 1) == '#') {
                int end = s.toString().indexOf("#}", i + 2);
                if (end < 0) {
                    return -1;
                }
                i = end + 1;
            }
        }
        return -1;
    }

    private static boolean isRawTag(CharSequence s, int open) {
        int i = open + 2;
        while (i < s.length() && (s.charAt(i) == '-' || s.charAt(i) == '+' || Character.isWhitespace(s.charAt(i)))) {
            i++;
        }
        return s.toString().startsWith("raw", i);
    }

    /** Where the expression's closing {@code }}} or {@code %}} begins, skipping string literals. */
    private static int expressionEnd(CharSequence s, int from) {
        for (int i = from; i + 1 < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                i = stringEnd(s, i);
                if (i < 0) {
                    return -1;
                }
            } else if ((c == '}' || c == '%') && s.charAt(i + 1) == '}') {
                return i;
            }
        }
        return -1;
    }

    private static int stringEnd(CharSequence s, int open) {
        char quote = s.charAt(open);
        for (int i = open + 1; i < s.length(); i++) {
            if (s.charAt(i) == '\\') {
                i++;
            } else if (s.charAt(i) == quote) {
                return i;
            }
        }
        return -1;
    }

    /** Rewrites the slices in {@code s[from, to)}; returns where the expression now ends. */
    private static int rewriteSlices(StringBuilder s, int from, int to) {
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                i = stringEnd(s, i);
                continue;
            }
            if (c != '[') {
                continue;
            }
            int close = matching(s, i, to, ']');
            if (close < 0) {
                return to;
            }
            List<String> parts = topLevelColonParts(s, i + 1, close);
            int operandStart = operandStart(s, i, from);
            if (parts.size() != 3 || operandStart == i) {
                continue;
            }
            String operand = s.substring(operandStart, i);
            String call = "(" + operand + "|" + PythonSlices.FILTER + "(" + orNone(parts.get(0)) + ", "
                    + orNone(parts.get(1)) + ", " + orNone(parts.get(2)) + "))";
            s.replace(operandStart, close + 1, call);
            to += call.length() - (close + 1 - operandStart);
            i = operandStart + call.length() - 1;
        }
        return to;
    }

    private static String orNone(String part) {
        return part.isBlank() ? "none" : part.trim();
    }

    private static int matching(CharSequence s, int open, int limit, char closer) {
        int depth = 0;
        for (int i = open; i < limit; i++) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                i = stringEnd(s, i);
                if (i < 0) {
                    return -1;
                }
            } else if (c == '[' || c == '(' || c == '{') {
                depth++;
            } else if (c == ']' || c == ')' || c == '}') {
                depth--;
                if (depth == 0) {
                    return c == closer ? i : -1;
                }
            }
        }
        return -1;
    }

    private static List<String> topLevelColonParts(CharSequence s, int from, int to) {
        List<String> parts = new ArrayList<>();
        int depth = 0;
        int start = from;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c == '\'' || c == '"') {
                i = stringEnd(s, i);
            } else if (c == '[' || c == '(' || c == '{') {
                depth++;
            } else if (c == ']' || c == ')' || c == '}') {
                depth--;
            } else if (c == ':' && depth == 0) {
                parts.add(s.subSequence(start, i).toString());
                start = i + 1;
            }
        }
        parts.add(s.subSequence(start, to).toString());
        return parts;
    }

    /** The start of the postfix expression (name, attributes, calls, subscripts, literal) before {@code at}. */
    private static int operandStart(CharSequence s, int at, int limit) {
        int i = at;
        while (i > limit) {
            char c = s.charAt(i - 1);
            if (Character.isLetterOrDigit(c) || c == '_' || c == '.') {
                i--;
            } else if (c == ']' || c == ')') {
                int open = opening(s, i - 1, limit);
                if (open < 0) {
                    return at;
                }
                i = open;
            } else if (c == '\'' || c == '"') {
                int open = i - 2;
                while (open >= limit && (s.charAt(open) != c || open > limit && s.charAt(open - 1) == '\\')) {
                    open--;
                }
                if (open < limit) {
                    return at;
                }
                i = open;
            } else {
                break;
            }
        }
        return i;
    }

    private static int opening(CharSequence s, int close, int limit) {
        int depth = 0;
        for (int i = close; i >= limit; i--) {
            char c = s.charAt(i);
            if (c == ']' || c == ')') {
                depth++;
            } else if (c == '[' || c == '(') {
                depth--;
                if (depth == 0) {
                    return i;
                }
            }
        }
        return -1;
    }
}
