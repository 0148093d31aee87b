package dev.sublinear.training.chat;

import com.hubspot.jinjava.interpret.JinjavaInterpreter;
import com.hubspot.jinjava.lib.exptest.ExpTest;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Jinja2's {@code is sequence} and {@code is iterable}, which are true of strings (a Python string is a
 * sequence of characters) where Jinjava's are not: templates test {@code content is string} and
 * {@code content is iterable} to tell text from a list of parts.
 */
final class PythonTests {

    private PythonTests() {}

    static ExpTest sequence() {
        return test("sequence", v -> v instanceof String || v instanceof Iterable<?> || v instanceof Map<?, ?>);
    }

    static ExpTest iterable() {
        return test("iterable", v -> v instanceof String || v instanceof Iterable<?> || v instanceof Map<?, ?>);
    }

    private static ExpTest test(String name, Predicate<Object> predicate) {
        return new ExpTest() {
            @Override
            public String getName() {
                return name;
            }

            @Override
            public boolean evaluate(Object var, JinjavaInterpreter interpreter, Object... args) {
                return predicate.test(var);
            }
        };
    }
}
