package dev.sublinear.api;

import dev.sublinear.jobs.common.ConflictException;
import dev.sublinear.jobs.common.InsufficientStorageException;
import dev.sublinear.jobs.common.InvalidRequestException;
import dev.sublinear.jobs.common.NotFoundException;
import dev.sublinear.jobs.common.QuotaExceededException;
import dev.sublinear.jobs.models.InferenceTimeoutException;
import dev.sublinear.jobs.models.ModelCacheException;
import dev.sublinear.jobs.models.TooManyInferencesException;
import dev.sublinear.storage.ArtifactTooLargeException;
import dev.sublinear.storage.StorageFull;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.i18n.LocaleContextHolder;
import org.springframework.core.MethodParameter;
import org.springframework.dao.DataAccessResourceFailureException;
import org.springframework.dao.TransientDataAccessException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.security.access.AccessDeniedException;
import org.springframework.security.core.AuthenticationException;
import org.springframework.validation.FieldError;
import org.springframework.web.ErrorResponse;
import org.springframework.web.bind.MethodArgumentNotValidException;
import org.springframework.web.bind.MissingServletRequestParameterException;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestControllerAdvice;
import org.springframework.web.context.request.WebRequest;
import org.springframework.web.method.annotation.HandlerMethodValidationException;
import org.springframework.web.method.annotation.MethodArgumentTypeMismatchException;
import org.springframework.web.multipart.MaxUploadSizeExceededException;
import org.springframework.web.multipart.MultipartException;
import org.springframework.web.multipart.support.MissingServletRequestPartException;
import org.springframework.web.servlet.mvc.method.annotation.ResponseEntityExceptionHandler;
import tools.jackson.core.JacksonException;
import tools.jackson.core.TokenStreamLocation;
import tools.jackson.databind.exc.InvalidNullException;
import tools.jackson.databind.exc.MismatchedInputException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;

/**
 * Every error as RFC 9457 problem+json with a {@code code} and the {@code param} at fault (a JSON
 * path in snake_case, a query parameter, a header or a form field). Bad input is never a 500, and a
 * 500 never carries a stack trace.
 *
 * <p>Longer than our other classes on purpose: it is the one list of every error a client can get,
 * each exception mapped by one handler, with the messages for unreadable and invalid bodies beside
 * the handlers that use them.
 */
@RestControllerAdvice
class Problems extends ResponseEntityExceptionHandler {

    private static final Logger LOG = LoggerFactory.getLogger(Problems.class);
    private static final Pattern CAMEL = Pattern.compile("([a-z0-9])([A-Z])");

    private final long maxBodyBytes;

    Problems(RequestBodyProperties bodies) {
        this.maxBodyBytes = bodies.maxJsonSize().toBytes();
    }

    static ProblemDetail problem(HttpStatusCode status, String code, String param, String detail) {
        ProblemDetail p = ProblemDetail.forStatusAndDetail(status, detail);
        p.setProperty("code", code);
        p.setProperty("param", param);
        p.setProperty("error", openAiError(status, code, param, detail));
        return p;
    }

    /**
     * The same problem in OpenAI's error envelope: the official SDKs build their exception's message
     * from a body's {@code error} member only, so without it an SDK user reads "400 status code (no
     * body)" instead of what went wrong.
     */
    static Map<String, Object> openAiError(HttpStatusCode status, String code, String param, String detail) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("message", detail);
        error.put("type", OpenAiErrorType.of(status.value()));
        error.put("param", param);
        error.put("code", code);
        return error;
    }

    @ExceptionHandler(NotFoundException.class)
    ProblemDetail notFound(NotFoundException e) {
        return problem(HttpStatus.NOT_FOUND, e.code(), e.param(), e.getMessage());
    }

    @ExceptionHandler(InvalidRequestException.class)
    ProblemDetail invalid(InvalidRequestException e) {
        HttpStatus status = e instanceof ConflictException
                ? HttpStatus.CONFLICT
                : e instanceof QuotaExceededException ? HttpStatus.TOO_MANY_REQUESTS : HttpStatus.BAD_REQUEST;
        String code = switch (status) {
            case CONFLICT -> "conflict";
            case TOO_MANY_REQUESTS -> "quota_exceeded";
            default -> "invalid_request";
        };
        ProblemDetail p = problem(status, code, e.param(), e.getMessage());
        if (!e.details().isEmpty()) {
            p.setProperty("errors", e.details());
        }
        return p;
    }

    @ExceptionHandler(ArtifactTooLargeException.class)
    ProblemDetail tooLarge(ArtifactTooLargeException e) {
        return problem(
                HttpStatus.CONTENT_TOO_LARGE,
                "file_too_large",
                "file",
                "the file is larger than the limit of " + e.limit() + " bytes");
    }

    /** A body that arrived too slowly: the connection is closed after this answer. */
    private static ProblemDetail tooSlow(BodyReadGuard.TooSlow e) {
        return problem(HttpStatus.REQUEST_TIMEOUT, "request_timeout", null, e.getMessage());
    }

    /** A tenant or the process runs as many inference calls as it may: come back when one is likely done. */
    @ExceptionHandler(TooManyInferencesException.class)
    ResponseEntity<ProblemDetail> tooManyInferences(TooManyInferencesException e) {
        return ResponseEntity.status(HttpStatus.TOO_MANY_REQUESTS)
                .header(HttpHeaders.RETRY_AFTER, Long.toString(e.retryAfterSeconds()))
                .body(problem(HttpStatus.TOO_MANY_REQUESTS, "too_many_generations", null, e.getMessage()));
    }

    /**
     * A model the cache of loaded models cannot hold: larger than it (507, an operator must raise the
     * setting), or the models in use fill it for now (503, retry).
     */
    @ExceptionHandler(ModelCacheException.class)
    ResponseEntity<ProblemDetail> modelCache(ModelCacheException e) {
        if (e.reason() == ModelCacheException.Reason.TOO_LARGE) {
            return ResponseEntity.status(HttpStatus.INSUFFICIENT_STORAGE)
                    .body(problem(HttpStatus.INSUFFICIENT_STORAGE, "model_too_large", "model", e.getMessage()));
        }
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
                .header(HttpHeaders.RETRY_AFTER, "5")
                .body(problem(HttpStatus.SERVICE_UNAVAILABLE, "model_cache_full", "model", e.getMessage()));
    }

    @ExceptionHandler(InferenceTimeoutException.class)
    ProblemDetail inferenceTimeout(InferenceTimeoutException e) {
        return problem(HttpStatus.SERVICE_UNAVAILABLE, "generation_timeout", "max_tokens", e.getMessage());
    }

    /** Work stopped because its client left (see ClientDeparture): nobody reads this, so nothing is logged. */
    @ExceptionHandler(CancellationException.class)
    ProblemDetail cancelled(CancellationException e) {
        return problem(
                HttpStatus.SERVICE_UNAVAILABLE,
                "cancelled",
                null,
                "the request was stopped because its connection closed");
    }

    @ExceptionHandler(MethodArgumentTypeMismatchException.class)
    ProblemDetail typeMismatch(MethodArgumentTypeMismatchException e) {
        return problem(
                HttpStatus.BAD_REQUEST,
                "invalid_request",
                e.getName(),
                "'" + echo(e.getValue()) + "' is not a valid value for " + e.getName());
    }

    @ExceptionHandler(MultipartException.class)
    ProblemDetail multipart(MultipartException e) {
        return problem(
                HttpStatus.BAD_REQUEST,
                "invalid_request",
                "file",
                "the multipart body could not be read (truncated or malformed); send it again whole");
    }

    /** The database is unreachable for a moment (restarting, failing over): try again shortly. */
    @ExceptionHandler({DataAccessResourceFailureException.class, TransientDataAccessException.class})
    ResponseEntity<ProblemDetail> unavailable(Exception e) {
        LOG.warn("Store unavailable: {}", e.getMessage());
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE)
                .header(HttpHeaders.RETRY_AFTER, "5")
                .body(problem(
                        HttpStatus.SERVICE_UNAVAILABLE,
                        "unavailable",
                        null,
                        "the job store is unreachable for the moment; retry after a few seconds"));
    }

    /** A handler's own check of its caller (method security, {@link Tenant}) refused the request. */
    @ExceptionHandler(AccessDeniedException.class)
    ProblemDetail forbidden(Exception e) {
        return problem(HttpStatus.FORBIDDEN, "forbidden", null, "this needs an admin key");
    }

    @ExceptionHandler(AuthenticationException.class)
    ResponseEntity<ProblemDetail> unauthorized(Exception e) {
        return ResponseEntity.status(HttpStatus.UNAUTHORIZED)
                .header(HttpHeaders.WWW_AUTHENTICATE, "Bearer")
                .body(problem(
                        HttpStatus.UNAUTHORIZED,
                        "unauthorized",
                        "Authorization",
                        "send an API key as 'Authorization: Bearer <key>'"));
    }

    /** A full disk under the job store: nothing was stored, and retrying helps only once there is room. */
    @ExceptionHandler(InsufficientStorageException.class)
    ProblemDetail insufficientStorage(InsufficientStorageException e) {
        LOG.warn("Store full: {}", e.getMessage());
        return storageFull();
    }

    /** The artifact store's disk is full (an upload, a model unpacked for inference); else as any failure. */
    @ExceptionHandler({IOException.class, UncheckedIOException.class})
    ProblemDetail io(Exception e, WebRequest request) {
        if (StorageFull.causedBy(e)) {
            LOG.warn("Artifact store full: {}", e.getMessage());
            return storageFull();
        }
        return unexpected(e, request);
    }

    private static ProblemDetail storageFull() {
        return problem(
                HttpStatus.INSUFFICIENT_STORAGE,
                "insufficient_storage",
                null,
                "the service's storage is full; nothing was stored. Retry once an operator has freed space");
    }

    @ExceptionHandler(Exception.class)
    ProblemDetail unexpected(Exception e, WebRequest request) {
        if (bodyTooLarge(request)) {
            return bodyTooLarge();
        }
        BodyReadGuard.TooSlow slow = BodyReadGuard.tooSlow(e);
        if (slow != null) {
            return tooSlow(slow);
        }
        LOG.error("Unexpected error", e);
        return problem(
                HttpStatus.INTERNAL_SERVER_ERROR,
                "internal_error",
                null,
                "the service failed to handle the request; it has been logged");
    }

    @Override
    protected ResponseEntity<Object> handleMethodArgumentNotValid(
            MethodArgumentNotValidException e, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        List<FieldError> errors = e.getBindingResult().getFieldErrors();
        List<String> lines = errors.stream()
                .map(f -> snake(f.getField()) + ": " + f.getDefaultMessage() + " (was " + echo(f.getRejectedValue())
                        + ")")
                .sorted()
                .toList();
        String param = errors.isEmpty()
                ? null
                : snake(errors.stream()
                        .map(FieldError::getField)
                        .sorted()
                        .findFirst()
                        .get());
        ProblemDetail p = problem(
                HttpStatus.BAD_REQUEST,
                "invalid_request",
                param,
                lines.isEmpty() ? "the request body is invalid" : String.join("; ", lines));
        p.setProperty("errors", lines);
        return ResponseEntity.badRequest().body(p);
    }

    @Override
    protected ResponseEntity<Object> handleHandlerMethodValidationException(
            HandlerMethodValidationException e, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        List<String> lines = e.getParameterValidationResults().stream()
                .flatMap(r -> r.getResolvableErrors().stream()
                        .map(err -> name(r.getMethodParameter().getParameterName(), r.getMethodParameter()) + ": "
                                + err.getDefaultMessage() + " (was " + echo(r.getArgument()) + ")"))
                .toList();
        String param = e.getParameterValidationResults().isEmpty()
                ? null
                : name(
                        e.getParameterValidationResults()
                                .get(0)
                                .getMethodParameter()
                                .getParameterName(),
                        e.getParameterValidationResults().get(0).getMethodParameter());
        ProblemDetail p = problem(HttpStatus.BAD_REQUEST, "invalid_request", param, String.join("; ", lines));
        p.setProperty("errors", lines);
        return ResponseEntity.badRequest().body(p);
    }

    private static String name(String javaName, MethodParameter parameter) {
        var requestParam = parameter.getParameterAnnotation(RequestParam.class);
        if (requestParam != null && !requestParam.name().isEmpty()) {
            return requestParam.name();
        }
        return snake(javaName);
    }

    @Override
    protected ResponseEntity<Object> handleHttpMessageNotReadable(
            HttpMessageNotReadableException e, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        if (bodyTooLarge(request)) {
            return ResponseEntity.status(HttpStatus.CONTENT_TOO_LARGE).body(bodyTooLarge());
        }
        Throwable cause = e.getMostSpecificCause();
        ProblemDetail p;
        if (BodyReadGuard.tooSlow(e) != null) {
            return ResponseEntity.status(HttpStatus.REQUEST_TIMEOUT).body(tooSlow(BodyReadGuard.tooSlow(e)));
        } else if (cause instanceof UnrecognizedPropertyException u) {
            p = problem(
                    HttpStatus.BAD_REQUEST,
                    "unknown_field",
                    path(u),
                    "unknown field '" + path(u) + "'; known fields here: "
                            + u.getKnownPropertyIds().stream()
                                    .map(Object::toString)
                                    .sorted()
                                    .collect(Collectors.joining(", ")));
        } else if (cause instanceof InvalidNullException n) {
            p = problem(HttpStatus.BAD_REQUEST, "invalid_type", path(n), "'" + path(n) + "' must not be null");
        } else if (cause instanceof tools.jackson.core.exc.InputCoercionException c
                && !c.getPath().isEmpty()) {
            p = problem(
                    HttpStatus.BAD_REQUEST,
                    "invalid_type",
                    path(c),
                    "'" + path(c) + "' is out of range: " + c.getOriginalMessage());
        } else if (cause instanceof MismatchedInputException m && !m.getPath().isEmpty()) {
            String type = m.getTargetType() == null ? "another type" : describe(m.getTargetType());
            p = problem(HttpStatus.BAD_REQUEST, "invalid_type", path(m), "'" + path(m) + "' must be " + type);
        } else if (cause instanceof JacksonException j) {
            TokenStreamLocation at = j.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            p = problem(
                    HttpStatus.BAD_REQUEST,
                    "invalid_json",
                    j.getPath().isEmpty() ? null : path(j),
                    "the request body is not valid JSON" + where + ": " + j.getOriginalMessage());
        } else {
            p = problem(
                    HttpStatus.BAD_REQUEST,
                    "invalid_json",
                    null,
                    "the request body is missing or unreadable; send a JSON object");
        }
        return ResponseEntity.badRequest().body(p);
    }

    @Override
    protected ResponseEntity<Object> handleMissingServletRequestParameter(
            MissingServletRequestParameterException e, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        return ResponseEntity.badRequest()
                .body(problem(
                        HttpStatus.BAD_REQUEST,
                        "invalid_request",
                        e.getParameterName(),
                        "the parameter '" + e.getParameterName() + "' is required"));
    }

    @Override
    protected ResponseEntity<Object> handleMissingServletRequestPart(
            MissingServletRequestPartException e, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        return ResponseEntity.badRequest()
                .body(problem(
                        HttpStatus.BAD_REQUEST,
                        "invalid_request",
                        e.getRequestPartName(),
                        "the multipart form needs a '" + e.getRequestPartName() + "' part"));
    }

    @Override
    protected ResponseEntity<Object> handleMaxUploadSizeExceededException(
            MaxUploadSizeExceededException e, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        return ResponseEntity.status(HttpStatus.CONTENT_TOO_LARGE)
                .body(problem(
                        HttpStatus.CONTENT_TOO_LARGE,
                        "file_too_large",
                        "file",
                        "the upload is larger than the limit of " + e.getMaxUploadSize() + " bytes"));
    }

    /** Spring MVC's own refusals (405, 406, 415, unknown paths, …) get a code too. */
    @Override
    protected ResponseEntity<Object> handleExceptionInternal(
            Exception e, Object body, HttpHeaders headers, HttpStatusCode status, WebRequest request) {
        if (body == null && e instanceof ErrorResponse error) {
            body = error.updateAndGetBody(getMessageSource(), LocaleContextHolder.getLocale());
        }
        if (body instanceof ProblemDetail p
                && (p.getProperties() == null || !p.getProperties().containsKey("code"))) {
            p.setProperty("code", code(status));
            p.setProperty("param", null);
            p.setProperty("error", openAiError(status, code(status), null, p.getDetail()));
        }
        return super.handleExceptionInternal(e, body, headers, status, request);
    }

    /** The code of an error that only has a status (Spring MVC's refusals, the container's error page). */
    static String code(HttpStatusCode status) {
        return switch (status.value()) {
            case 403 -> "forbidden";
            case 404 -> "not_found";
            case 405 -> "method_not_allowed";
            case 406 -> "not_acceptable";
            case 413 -> "file_too_large";
            case 415 -> "unsupported_media_type";
            default -> status.is5xxServerError() ? "internal_error" : "invalid_request";
        };
    }

    /** Whether {@link RequestBodyLimit} cut this request's body off. */
    private static boolean bodyTooLarge(WebRequest request) {
        return request.getAttribute(RequestBodyLimit.EXCEEDED, WebRequest.SCOPE_REQUEST) != null;
    }

    private ProblemDetail bodyTooLarge() {
        return problem(HttpStatus.CONTENT_TOO_LARGE, "body_too_large", null, RequestBodyLimit.tooLarge(maxBodyBytes));
    }

    private static String echo(Object value) {
        return InvalidRequestException.echo(value);
    }

    private static String path(JacksonException e) {
        StringBuilder b = new StringBuilder();
        for (JacksonException.Reference r : e.getPath()) {
            if (r.getPropertyName() != null) {
                // a name is the client's (an unknown field, a metadata key): echoed short like a value
                b.append(b.isEmpty() ? "" : ".").append(echo(r.getPropertyName()));
            } else if (r.getIndex() >= 0) {
                b.append('[').append(r.getIndex()).append(']');
            }
        }
        return b.toString();
    }

    private static String describe(Class<?> type) {
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "an integer";
        }
        if (type == Double.class || type == double.class || type == Float.class || type == float.class) {
            return "a number";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (type == String.class) {
            return "a string";
        }
        if (Map.class.isAssignableFrom(type) || type.isRecord()) {
            return "an object";
        }
        return "a " + type.getSimpleName().toLowerCase(Locale.ROOT);
    }

    static String snake(String path) {
        return CAMEL.matcher(path).replaceAll("$1_$2").toLowerCase(Locale.ROOT);
    }
}
