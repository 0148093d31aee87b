package dev.sublinear.jobs;

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

    public String param() {
        return param;
    }

    /** Further lines, such as line-numbered problems of a file. */
    public List<String> details() {
        return details;
    }
}
