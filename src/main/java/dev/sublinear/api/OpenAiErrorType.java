package dev.sublinear.api;

/**
 * The {@code type} of OpenAI's error envelope for an HTTP status. The official SDKs pick their
 * exception class from the status and show {@code type} as it is; clients that branch on it (retry
 * a {@code rate_limit_error}, ask for a new key on an {@code authentication_error}) need it to say
 * the kind of failure, not {@code invalid_request_error} for all of them.
 *
 * <p>Public for the Tomcat valves of {@code config}, which answer before Spring MVC does.
 */
public final class OpenAiErrorType {

    private OpenAiErrorType() {}

    /**
     * The type for {@code status}. A 409 (a job in the wrong state for the action) has no type of
     * its own in OpenAI's API, which answers such requests as {@code invalid_request_error}.
     */
    public static String of(int status) {
        return switch (status) {
            case 401 -> "authentication_error";
            case 403 -> "permission_error";
            case 404 -> "not_found_error";
            case 429 -> "rate_limit_error";
            default -> status >= 500 ? "server_error" : "invalid_request_error";
        };
    }

    /**
     * OpenAI's envelope as JSON text, for the valves that write their bodies by hand: {@code
     * message} and {@code code} must be plain text (no quotes or backslashes).
     */
    public static String envelope(int status, String code, String message) {
        return "\"error\":{\"message\":\"" + message + "\",\"type\":\"" + of(status) + "\",\"param\":null,\"code\":\""
                + code + "\"}";
    }
}
