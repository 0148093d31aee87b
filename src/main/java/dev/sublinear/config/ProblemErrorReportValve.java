package dev.sublinear.config;

import dev.sublinear.api.OpenAiErrorType;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ErrorReportValve;
import org.springframework.http.HttpStatus;

/**
 * Errors that Tomcat answers itself, before the application sees the request (a path with an
 * encoded '/', '..;' segments, a malformed URI), as problem+json like every other error instead of
 * Tomcat's HTML page. Nothing of the request is echoed.
 */
public class ProblemErrorReportValve extends ErrorReportValve {

    @Override
    protected void report(Request request, Response response, Throwable throwable) {
        int status = response.getStatus();
        if (status < 400 || response.isCommitted() || response.getContentWritten() > 0) {
            return;
        }
        HttpStatus known = HttpStatus.resolve(status);
        String title = known == null ? "Error" : known.getReasonPhrase();
        String code = status == 404 ? "not_found" : status >= 500 ? "internal_error" : "invalid_request";
        String detail = status == 400
                ? "the request line or path is malformed (encoded '/', '..' segments and the like are refused)"
                : "the request could not be handled";
        String body = "{\"type\":\"about:blank\",\"title\":\"" + title + "\",\"status\":" + status + ",\"detail\":\""
                + detail + "\",\"code\":\"" + code + "\",\"param\":null,"
                + OpenAiErrorType.envelope(status, code, detail)
                + "}";
        try {
            response.setContentType("application/problem+json");
            response.setCharacterEncoding(StandardCharsets.UTF_8.name());
            Writer writer = response.getReporter();
            if (writer != null) {
                writer.write(body);
                response.finishResponse();
            }
        } catch (IOException | IllegalStateException e) {
            // the client is gone; nothing more to say
        }
    }
}
