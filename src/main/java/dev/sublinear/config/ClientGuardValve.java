package dev.sublinear.config;

import dev.sublinear.api.OpenAiErrorType;
import jakarta.servlet.ServletException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.catalina.connector.Request;
import org.apache.catalina.connector.Response;
import org.apache.catalina.valves.ValveBase;
import org.apache.coyote.ActionCode;

/**
 * The first thing every request meets, before any filter:
 * <ul>
 *   <li>A client address with {@code maxPerClient} requests in progress gets 429 at once, so one
 *       client cannot take every request thread.
 *   <li>A request refused with an error while its body is still unread (no key, rate-limited, too
 *       large, too slow) has its connection closed after the answer, instead of Tomcat draining the
 *       rest of a body nobody asked for; draining a slow body would hold the thread all the same.
 * </ul>
 */
public class ClientGuardValve extends ValveBase {

    private static final String BUSY_DETAIL =
            "this client has too many requests in progress; retry after the Retry-After seconds";
    private static final String BUSY = "{\"type\":\"about:blank\",\"title\":\"Too Many Requests\",\"status\":429,"
            + "\"detail\":\"" + BUSY_DETAIL + "\",\"code\":\"too_many_requests\",\"param\":null,"
            + OpenAiErrorType.envelope(429, "too_many_requests", BUSY_DETAIL) + "}";

    private final int maxPerClient;
    private final ConcurrentHashMap<String, AtomicInteger> inProgress = new ConcurrentHashMap<>();

    public ClientGuardValve(int maxPerClient) {
        super(true);
        this.maxPerClient = maxPerClient;
    }

    @Override
    public void invoke(Request request, Response response) throws IOException, ServletException {
        if (maxPerClient <= 0) {
            invokeNext(request, response);
            return;
        }
        String client = request.getRemoteAddr();
        AtomicInteger count = inProgress.computeIfAbsent(client, k -> new AtomicInteger());
        try {
            if (count.incrementAndGet() > maxPerClient) {
                refuseBusy(request, response);
                return;
            }
            invokeNext(request, response);
        } finally {
            if (count.decrementAndGet() == 0) {
                inProgress.remove(client, count);
            }
        }
    }

    private void invokeNext(Request request, Response response) throws IOException, ServletException {
        try {
            getNext().invoke(request, response);
        } finally {
            if (response.getStatus() >= 400 && unreadBody(request) && !request.isAsyncStarted()) {
                closeAfterAnswer(request, response);
            }
        }
    }

    private static boolean hasBody(Request request) {
        return request.getContentLengthLong() > 0 || request.getHeader("Transfer-Encoding") != null;
    }

    /** A body the application did not read to its end (a body it read whole leaves the connection reusable). */
    private static boolean unreadBody(Request request) {
        return hasBody(request) && !request.getCoyoteRequest().isFinished();
    }

    private static void refuseBusy(Request request, Response response) throws IOException {
        response.setStatus(429);
        response.setHeader("Retry-After", "1");
        if (hasBody(request)) {
            response.setHeader("Connection", "close");
        }
        response.setContentType("application/problem+json");
        response.setCharacterEncoding(StandardCharsets.UTF_8.name());
        response.getWriter().write(BUSY);
        if (hasBody(request)) {
            closeAfterAnswer(request, response);
        }
        response.finishResponse();
    }

    /**
     * Tomcat takes a refused swallow for an error of the request: the answer already given stands
     * (marked as reported, so no error page is rendered over it) and the connection closes. The
     * answer says {@code Connection: close} (it is still uncommitted here unless it outgrew the
     * response buffer), so the client does not send its next request on this connection.
     */
    private static void closeAfterAnswer(Request request, Response response) {
        if (!response.isCommitted()) {
            // whoever wrote the answer: the client must not send its next request on this connection
            response.setHeader("Connection", "close");
        }
        request.getCoyoteRequest().action(ActionCode.DISABLE_SWALLOW_INPUT, null);
        response.setErrorReported();
    }
}
