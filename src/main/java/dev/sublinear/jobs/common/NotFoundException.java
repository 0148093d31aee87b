package dev.sublinear.jobs.common;

/** A resource that does not exist, or belongs to another tenant (which looks the same from outside). */
public final class NotFoundException extends RuntimeException {

    private final String param;
    private final String code;

    public NotFoundException(String what, String id, String param) {
        this(what, id, param, "not_found");
    }

    /** @param code the problem's code where clients expect another than {@code not_found} (OpenAI's model_not_found) */
    public NotFoundException(String what, String id, String param, String code) {
        super("no " + what + " '" + InvalidRequestException.echo(id) + "'");
        this.param = param;
        this.code = code;
    }

    public String param() {
        return param;
    }

    public String code() {
        return code;
    }
}
