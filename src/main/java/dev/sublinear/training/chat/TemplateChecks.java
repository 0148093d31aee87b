package dev.sublinear.training.chat;

import com.hubspot.jinjava.interpret.Context;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the filters and tests a template names that the engine does not have, before any render:
 * Jinjava prints nothing for an unknown filter and records no error, which would be a silently
 * different prompt.
 */
final class TemplateChecks {

    private static final Pattern FILTER = Pattern.compile("\\|\\s*([A-Za-z_][A-Za-z0-9_]*)");
    private static final Pattern FILTER_TAG = Pattern.compile("^\\s*-?\\s*filter\\s+([A-Za-z_][A-Za-z0-9_]*)");
    private static final Pattern TEST = Pattern.compile("\\bis\\s+(?:not\\s+)?([A-Za-z_][A-Za-z0-9_]*)");

    private TemplateChecks() {}

    /** @throws ChatTemplateException naming the first unknown filter or test and its line */
    static void check(String source, Context context) {
        int at = 0;
        while (true) {
            int open = next(source, at);
            if (open < 0) {
                return;
            }
            boolean comment = source.charAt(open + 1) == '#';
            int close = source.indexOf(comment ? "#}" : source.charAt(open + 1) == '{' ? "}}" : "%}", open + 2);
            if (close < 0) {
                return;
            }
            if (!comment) {
                String expression = blankStrings(source.substring(open + 2, close));
                int line = line(source, open);
                Matcher tag = FILTER_TAG.matcher(expression);
                if (source.charAt(open + 1) == '%' && tag.find() && context.getFilter(tag.group(1)) == null) {
                    throw unknown("filter", tag.group(1), line);
                }
                Matcher filter = FILTER.matcher(expression);
                while (filter.find()) {
                    if (context.getFilter(filter.group(1)) == null) {
                        throw unknown("filter", filter.group(1), line);
                    }
                }
                Matcher test = TEST.matcher(expression);
                while (test.find()) {
                    if (context.getExpTest(test.group(1)) == null) {
                        throw unknown("test", test.group(1), line);
                    }
                }
            }
            at = close + 2;
        }
    }

    private static ChatTemplateException unknown(String what, String name, int line) {
        return new ChatTemplateException("chat template line " + line + ": unknown " + what + " '" + name
                + "' (the template engine has no such " + what + ")");
    }

    private static int next(String s, int from) {
        for (int i = from; i + 1 < s.length(); i++) {
            char c = s.charAt(i + 1);
            if (s.charAt(i) == '{' && (c == '{' || c == '%' || c == '#')) {
                return i;
            }
        }
        return -1;
    }

    /** The expression with its string literals' contents replaced by spaces (they may hold '|'). */
    private static String blankStrings(String expression) {
        StringBuilder out = new StringBuilder(expression);
        for (int i = 0; i < out.length(); i++) {
            char quote = out.charAt(i);
            if (quote != '\'' && quote != '"') {
                continue;
            }
            int j = i + 1;
            while (j < out.length() && out.charAt(j) != quote) {
                if (out.charAt(j) == '\\' && j + 1 < out.length()) {
                    out.setCharAt(j++, ' ');
                }
                out.setCharAt(j++, ' ');
            }
            i = j;
        }
        return out.toString();
    }

    static int line(String s, int offset) {
        int line = 1;
        for (int i = 0; i < offset; i++) {
            if (s.charAt(i) == '\n') {
                line++;
            }
        }
        return line;
    }
}
