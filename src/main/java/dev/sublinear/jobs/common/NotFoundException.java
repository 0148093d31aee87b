package dev.sublinear.jobs.common;

/** A resource that does not exist, or belongs to another tenant (which looks the same from outside). */
public final class NotFoundException extends RuntimeException {

    private final String param;

    public NotFoundException(String what, String id, String param) {
        super("no " + what + " '" + InvalidRequestException.echo(id) + "'");
        this.param = param;
    }

    public String param() {
        return param;
    }
}
