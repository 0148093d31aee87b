package dev.sublinear.jobs.common;

import java.util.List;

/** A request the service will not take, naming the field (JSON path, snake_case) that is wrong. */
public class InvalidRequestException extends RuntimeException {

    private final String param;
    private final List<String> details;

    public InvalidRequestException(String param, String message) {
        this(param, message, List.of());
    }

    public InvalidRequestException(String param, String message, List<String> details) {
        super(message);
        this.param = param;
        this.details = List.copyOf(details);
    }

    /** The most characters of a client's value that an error message repeats. */
    public static final int ECHOED_CHARACTERS = 64;

    /**
     * A client's value as an error message may repeat it: whole when short, else its first
     * {@value #ECHOED_CHARACTERS} characters, an ellipsis and its length. A rejected value can be as
     * long as the body that carried it, and an error must stay small whatever was sent.
     */
    public static String echo(Object value) {
        String text = String.valueOf(value);
        if (text.length() <= ECHOED_CHARACTERS) {
            return text;
        }
        int end = Character.isHighSurrogate(text.charAt(ECHOED_CHARACTERS - 1))
                ? ECHOED_CHARACTERS - 1
                : ECHOED_CHARACTERS;
        return text.substring(0, end) + "… (" + text.length() + " characters)";
    }

    public String param() {
        return param;
    }

    /** Further lines, such as line-numbered problems of a file. */
    public List<String> details() {
        return details;
    }
}
