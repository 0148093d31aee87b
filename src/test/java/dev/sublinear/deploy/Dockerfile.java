package dev.sublinear.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.yaml.snakeyaml.Yaml;

/**
 * A Dockerfile read the way the builder reads it, enough to check it without a Docker engine:
 * comments dropped, continued lines joined, one instruction per entry, grouped into stages, with
 * the global ARG defaults substituted into each FROM.
 */
final class Dockerfile {

    /** One instruction: its keyword in upper case and the rest of the (joined) line. */
    record Instruction(String keyword, String arguments, int line) {

        /** The arguments of an exec-form (JSON array) instruction such as ENTRYPOINT or VOLUME. */
        List<String> execForm() {
            Object parsed = new Yaml().load(arguments);
            if (!(parsed instanceof List<?> list)) {
                throw new IllegalStateException("line " + line + ": " + keyword + " is not in JSON form: " + arguments);
            }
            return list.stream().map(String::valueOf).toList();
        }
    }

    /** A build stage: FROM's image (ARGs substituted), its name if any, and its instructions. */
    record Stage(String image, Optional<String> name, List<Instruction> instructions) {

        List<Instruction> all(String keyword) {
            return instructions.stream()
                    .filter(i -> i.keyword().equals(keyword))
                    .toList();
        }

        Optional<Instruction> last(String keyword) {
            List<Instruction> found = all(keyword);
            return found.isEmpty() ? Optional.empty() : Optional.of(found.get(found.size() - 1));
        }

        /** Every variable this stage's ENV instructions set, later ones winning. */
        Map<String, String> env() {
            Map<String, String> env = new LinkedHashMap<>();
            for (Instruction i : all("ENV")) {
                env.putAll(keyValues(i.arguments()));
            }
            return env;
        }
    }

    private static final Pattern VARIABLE =
            Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}|\\$([A-Za-z_][A-Za-z0-9_]*)");

    final Path path;
    final Map<String, String> globalArgs;
    final List<Stage> stages;

    private Dockerfile(Path path, Map<String, String> globalArgs, List<Stage> stages) {
        this.path = path;
        this.globalArgs = globalArgs;
        this.stages = stages;
    }

    static Dockerfile read(Path path) {
        try {
            return parse(path, Files.readAllLines(path));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    Stage finalStage() {
        return stages.get(stages.size() - 1);
    }

    Optional<Stage> stage(String name) {
        return stages.stream()
                .filter(s -> s.name().filter(name::equalsIgnoreCase).isPresent())
                .findFirst();
    }

    /** Whether an image reference names an earlier stage of this file rather than an image. */
    boolean isStage(String image) {
        return stages.stream()
                .anyMatch(s -> s.name().filter(image::equalsIgnoreCase).isPresent());
    }

    private static Dockerfile parse(Path path, List<String> lines) {
        List<Instruction> instructions = new ArrayList<>();
        StringBuilder pending = null;
        int start = 0;
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n);
            String trimmed = line.strip();
            if (trimmed.startsWith("#") || (trimmed.isEmpty() && pending == null)) {
                continue; // comments (and parser directives) may sit even inside a continued instruction
            }
            if (pending == null) {
                pending = new StringBuilder();
                start = n + 1;
            }
            if (trimmed.endsWith("\\")) {
                pending.append(trimmed, 0, trimmed.length() - 1).append(' ');
                continue;
            }
            pending.append(trimmed);
            String text = pending.toString().strip();
            pending = null;
            if (text.isEmpty()) {
                continue;
            }
            String[] parts = text.split("\\s+", 2);
            instructions.add(
                    new Instruction(parts[0].toUpperCase(Locale.ROOT), parts.length > 1 ? parts[1] : "", start));
        }
        if (pending != null) {
            throw new IllegalStateException(path + ": the last instruction ends with a line continuation");
        }

        Map<String, String> globalArgs = new LinkedHashMap<>();
        List<Stage> stages = new ArrayList<>();
        List<Instruction> current = null;
        for (Instruction i : instructions) {
            if (i.keyword().equals("FROM")) {
                List<String> words = new ArrayList<>(List.of(i.arguments().split("\\s+")));
                words.removeIf(w -> w.startsWith("--")); // --platform=...
                String image = substitute(words.get(0), globalArgs);
                Optional<String> name = words.size() >= 3 && words.get(1).equalsIgnoreCase("AS")
                        ? Optional.of(words.get(2))
                        : Optional.empty();
                current = new ArrayList<>();
                stages.add(new Stage(image, name, current));
            } else if (current == null) {
                if (!i.keyword().equals("ARG")) {
                    throw new IllegalStateException(
                            path + ":" + i.line() + ": only ARG may come before the first FROM");
                }
                keyValues(i.arguments()).forEach((k, v) -> globalArgs.put(k, substitute(v, globalArgs)));
            } else {
                current.add(i);
            }
        }
        if (stages.isEmpty()) {
            throw new IllegalStateException(path + " has no FROM");
        }
        return new Dockerfile(path, Map.copyOf(globalArgs), List.copyOf(stages));
    }

    /** ${NAME} and $NAME replaced by their values; an unknown name stays as it is. */
    static String substitute(String text, Map<String, String> values) {
        Matcher m = VARIABLE.matcher(text);
        StringBuilder out = new StringBuilder();
        while (m.find()) {
            String name = m.group(1) != null ? m.group(1) : m.group(2);
            m.appendReplacement(out, Matcher.quoteReplacement(values.getOrDefault(name, m.group())));
        }
        return m.appendTail(out).toString();
    }

    /**
     * KEY=value pairs (values may be quoted) as ENV, ARG and LABEL write them; the old "ENV KEY value"
     * form too. An ARG without a default maps to the empty string.
     */
    static Map<String, String> keyValues(String arguments) {
        Map<String, String> values = new LinkedHashMap<>();
        List<String> words = words(arguments);
        if (words.size() >= 2 && !words.get(0).contains("=")) {
            values.put(words.get(0), String.join(" ", words.subList(1, words.size())));
            return values;
        }
        for (String word : words) {
            int eq = word.indexOf('=');
            if (eq < 0) {
                values.put(word, "");
            } else {
                values.put(word.substring(0, eq), word.substring(eq + 1));
            }
        }
        return values;
    }

    /** Splits on blanks outside quotes and removes the quotes (a backslash escapes the next character). */
    private static List<String> words(String text) {
        List<String> words = new ArrayList<>();
        StringBuilder word = null;
        char quote = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (quote == 0 && Character.isWhitespace(c)) {
                if (word != null) {
                    words.add(word.toString());
                    word = null;
                }
                continue;
            }
            if (word == null) {
                word = new StringBuilder();
            }
            if (c == '\\' && i + 1 < text.length() && quote != '\'') {
                word.append(text.charAt(++i));
            } else if (quote == 0 && (c == '"' || c == '\'')) {
                quote = c;
            } else if (c == quote) {
                quote = 0;
            } else {
                word.append(c);
            }
        }
        if (word != null) {
            words.add(word.toString());
        }
        return words;
    }

    @Override
    public String toString() {
        return path + " (" + stages.stream().map(Stage::image).collect(Collectors.joining(" -> ")) + ")";
    }
}
