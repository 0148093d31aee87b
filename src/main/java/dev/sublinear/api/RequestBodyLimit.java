package dev.sublinear.api;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Every request but an upload takes at most {@link RequestBodyProperties#maxJsonSize()} of body
 * (413 past it), so that a huge JSON value can neither fill the heap while it is parsed nor come back
 * in an error. A declared {@code Content-Length} over the cap is refused before a byte is read; a
 * chunked body is counted as it is read and reading stops at the cap (see {@link Problems}, which
 * answers 413 when the exception it causes reaches it). Multipart and form bodies, which the
 * container parses itself past any wrapper, are refused (415) where no endpoint takes them.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 10)
class RequestBodyLimit extends OncePerRequestFilter {

    /** Set on a request whose body was cut off at the cap. */
    static final String EXCEEDED = RequestBodyLimit.class.getName() + ".exceeded";

    private static final String UPLOAD = "/v1/files";

    private final long limit;
    private final ProblemWriter problems;

    RequestBodyLimit(RequestBodyProperties properties, ProblemWriter problems) {
        this.limit = properties.maxJsonSize().toBytes();
        this.problems = problems;
    }

    @Override
    protected boolean shouldNotFilter(HttpServletRequest request) {
        // decided on the path as Spring routes it: decoded, without ;parameters
        String path = request.getServletPath() + (request.getPathInfo() == null ? "" : request.getPathInfo());
        return "POST".equals(request.getMethod()) && UPLOAD.equals(path);
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        boolean hasBody =
                request.getContentLengthLong() > 0 || request.getHeader(HttpHeaders.TRANSFER_ENCODING) != null;
        String type =
                request.getContentType() == null ? "" : request.getContentType().toLowerCase(Locale.ROOT);
        if (hasBody && (type.startsWith("multipart/") || type.startsWith("application/x-www-form-urlencoded"))) {
            refuse(
                    request,
                    response,
                    HttpStatus.UNSUPPORTED_MEDIA_TYPE,
                    "unsupported_media_type",
                    "this endpoint takes a JSON body (Content-Type: application/json)");
            return;
        }
        if (request.getContentLengthLong() > limit) {
            refuse(request, response, HttpStatus.CONTENT_TOO_LARGE, "body_too_large", tooLarge(limit));
            return;
        }
        chain.doFilter(hasBody ? new Capped(request, limit) : request, response);
    }

    static String tooLarge(long limit) {
        return "the request body is over this endpoint's limit of " + limit + " bytes";
    }

    private void refuse(
            HttpServletRequest request, HttpServletResponse response, HttpStatus status, String code, String detail)
            throws IOException {
        problems.write(request, response, status, code, null, detail); // says Connection: close: the body stays unread
    }

    /** The request with its body cut off after {@code limit} bytes. */
    private static final class Capped extends HttpServletRequestWrapper {

        private final long limit;
        private ServletInputStream in;

        Capped(HttpServletRequest request, long limit) {
            super(request);
            this.limit = limit;
        }

        @Override
        public ServletInputStream getInputStream() throws IOException {
            if (in == null) {
                in = new CountingStream(super.getInputStream());
            }
            return in;
        }

        @Override
        public BufferedReader getReader() throws IOException {
            String encoding = getCharacterEncoding();
            Charset charset = encoding == null ? StandardCharsets.UTF_8 : Charset.forName(encoding);
            return new BufferedReader(new InputStreamReader(getInputStream(), charset));
        }

        private final class CountingStream extends ServletInputStream {

            private final ServletInputStream body;
            private long read;

            CountingStream(ServletInputStream body) {
                this.body = body;
            }

            @Override
            public int read() throws IOException {
                count(0);
                int b = body.read();
                if (b >= 0) {
                    count(1);
                }
                return b;
            }

            @Override
            public int read(byte[] buffer, int offset, int length) throws IOException {
                count(0);
                // never read more than one byte past the cap: that byte is enough to know
                int n = body.read(buffer, offset, (int) Math.min(length, limit + 1 - read));
                if (n > 0) {
                    count(n);
                }
                return n;
            }

            /** Counts {@code n} more bytes read; past the cap, and on every read after, the body is refused. */
            private void count(int n) throws IOException {
                read += n;
                if (read > limit) {
                    setAttribute(EXCEEDED, Boolean.TRUE);
                    throw new IOException(tooLarge(limit));
                }
            }

            @Override
            public boolean isFinished() {
                return body.isFinished();
            }

            @Override
            public boolean isReady() {
                return body.isReady();
            }

            @Override
            public void setReadListener(ReadListener listener) {
                body.setReadListener(listener);
            }
        }
    }
}
