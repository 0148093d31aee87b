package dev.sublinear.api;

import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.stereotype.Component;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes problem+json from filters and security handlers, which answer before Spring MVC's
 * exception handlers ({@link Problems}) could.
 */
@Component
class ProblemWriter {

    private final JsonMapper json;

    ProblemWriter(JsonMapper json) {
        this.json = json;
    }

    void write(
            HttpServletRequest request,
            HttpServletResponse response,
            HttpStatus status,
            String code,
            String param,
            String detail)
            throws IOException {
        if (response.isCommitted()) {
            return;
        }
        ProblemDetail problem = Problems.problem(status, code, param, detail);
        problem.setInstance(instance(request));
        response.resetBuffer();
        if (request.getContentLengthLong() > 0 || request.getHeader("Transfer-Encoding") != null) {
            // refused before its body was read: the body is not drained, the connection closes after this
            response.setHeader("Connection", "close");
        }
        response.setStatus(status.value());
        response.setContentType("application/problem+json");
        json.writeValue(response.getOutputStream(), problem);
    }

    /** The path as routed; a path that does not parse as a URI (the firewall's refusals) is left out. */
    private static URI instance(HttpServletRequest request) {
        try {
            return new URI(request.getRequestURI());
        } catch (URISyntaxException | NullPointerException e) {
            return null;
        }
    }
}
