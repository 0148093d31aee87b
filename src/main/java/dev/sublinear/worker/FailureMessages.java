package dev.sublinear.worker;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a job's error and events may say about why it failed. The tenant reads them, so they never
 * carry a path of the server's (the data or work directory, an artifact's file: java.nio's
 * exceptions name the file in their message, DJL's name the model directory): known directories and
 * anything shaped like an absolute path become {@value #PATH}. A platform failure says what kind of
 * failure it was; the full exception goes to the log.
 */
final class FailureMessages {

    static final String PATH = "<server path>";
    /** The most characters of an exception's message a job's error keeps (the log has it all). */
    static final int MAX_LENGTH = 500;

    /** Stands for a known directory while the pattern runs, so that what follows it is taken in too. */
    private static final char KNOWN = '\uE000';

    private static final String SEGMENT = "[^\\s'\"`()\\[\\]{}<>|,;:/\\\\]++[/\\\\]?+";

    /**
     * A known directory and what follows it; or a Unix or Windows absolute path, or the path of a
     * file: URI, up to whitespace, a quote, a bracket or a colon; not the {@code /} of {@code 1/2}
     * or {@code and/or}.
     */
    private static final Pattern ABSOLUTE_PATH = Pattern.compile(
            KNOWN + "[/\\\\]?(?:" + SEGMENT + ")*+" + "|(?<![\\w.~-])(?:[A-Za-z]:)?[/\\\\](?:" + SEGMENT + ")++");

    private final List<String> directories;

    /** @param directories directories of this process whose paths may contain spaces the pattern would stop at */
    FailureMessages(List<Path> directories) {
        List<String> known = new ArrayList<>();
        for (Path d : directories) {
            known.add(d.toAbsolutePath().normalize().toString());
        }
        for (String property : List.of("java.io.tmpdir", "user.home", "user.dir")) {
            String value = System.getProperty(property);
            if (value != null && value.length() > 1) {
                known.add(Path.of(value).toAbsolutePath().normalize().toString());
            }
        }
        // the longest first, so that a directory inside another is replaced whole
        known.sort(Comparator.comparingInt(String::length).reversed());
        this.directories = List.copyOf(known);
    }

    /** A message with every server path replaced. */
    String scrub(String message) {
        if (message == null) {
            return null;
        }
        String text = message;
        for (String d : directories) {
            text = text.replace(d, String.valueOf(KNOWN));
        }
        return ABSOLUTE_PATH.matcher(text).replaceAll(Matcher.quoteReplacement(PATH));
    }

    /** A platform failure as the tenant may read it: its kind, and its message without server paths. */
    String describe(Throwable e) {
        Throwable failure = e instanceof UncheckedIOException && e.getCause() != null ? e.getCause() : e;
        String kind = failure.getClass().getSimpleName();
        if (failure instanceof FileSystemException f) {
            // the message is the file's path (and the other file's, and the reason): only the reason is kept
            return "the worker could not use a file it needs (" + kind
                    + (f.getReason() == null ? "" : ": " + shortened(f.getReason())) + ")";
        }
        if (failure instanceof IOException) {
            return "an I/O error on the worker (" + kind
                    + (failure.getMessage() == null ? "" : ": " + shortened(failure.getMessage())) + ")";
        }
        return failure.getMessage() == null ? kind : kind + ": " + shortened(failure.getMessage());
    }

    private String shortened(String message) {
        String text = scrub(message);
        return text.length() <= MAX_LENGTH ? text : text.substring(0, MAX_LENGTH) + "\u2026";
    }
}
