package dev.sublinear.api;

import io.swagger.v3.oas.annotations.Hidden;
import jakarta.servlet.RequestDispatcher;
import jakarta.servlet.http.HttpServletRequest;
import org.springframework.boot.webmvc.error.ErrorController;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * The servlet container's error page, in place of Spring Boot's {@code BasicErrorController}: what
 * goes wrong outside Spring MVC (a TRACE, which Tomcat refuses itself; an exception in a filter; a
 * {@code sendError}) is answered as problem+json with a code like every other error, whatever the
 * client accepts. A request for the error path itself finds nothing there (404). Nothing of the
 * request, the exception or the server is echoed.
 */
@Hidden
@RestController
class ProblemErrorController implements ErrorController {

    @RequestMapping("${server.error.path:/error}")
    ResponseEntity<ProblemDetail> error(HttpServletRequest request) {
        Object code = request.getAttribute(RequestDispatcher.ERROR_STATUS_CODE);
        HttpStatus status = code instanceof Integer i && HttpStatus.resolve(i) != null && i >= 400
                ? HttpStatus.valueOf(i)
                // not forwarded here by the container: the path is not an API resource
                : code == null ? HttpStatus.NOT_FOUND : HttpStatus.INTERNAL_SERVER_ERROR;
        String detail = switch (status) {
            case NOT_FOUND -> "no such resource";
            case METHOD_NOT_ALLOWED -> "the method is not allowed on this path";
            case CONTENT_TOO_LARGE -> "the request body is over the size limit";
            default ->
                status.is5xxServerError()
                        ? "the service failed to handle the request"
                        : "the request could not be handled";
        };
        ProblemDetail problem = Problems.problem(status, Problems.code(status), null, detail);
        return ResponseEntity.status(status)
                .contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .body(problem);
    }
}
