package dev.sublinear.api;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Bounds the time a request body may take to arrive: after {@link HttpProperties#bodyGrace()}, a
 * body must keep up an average of {@link HttpProperties#bodyMinRate()}, or the next read fails with
 * {@link TooSlow} (answered 408, and the connection is closed). Each socket read is itself bounded
 * by the connector's timeout, so a thread is held at most that much past the deadline. Every body
 * the application reads (JSON, uploads) goes through here: it is the first filter, before Spring
 * Security and {@link RequestBodyLimit}.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
class BodyReadGuard extends OncePerRequestFilter {

    private final HttpProperties properties;

    BodyReadGuard(HttpProperties properties) {
        this.properties = properties;
    }

    /** A body arrived too slowly. */
    static final class TooSlow extends IOException {
        TooSlow(long bytes, double seconds) {
            super("the request body arrived too slowly (" + bytes + " bytes in " + Math.round(seconds)
                    + " s); send it at a steady rate");
        }
    }

    /** The {@link TooSlow} somewhere in a failure's causes, if any. */
    static TooSlow tooSlow(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof TooSlow slow) {
                return slow;
            }
        }
        return null;
    }

    @Override
    protected void doFilterInternal(HttpServletRequest request, HttpServletResponse response, FilterChain chain)
            throws ServletException, IOException {
        long started = System.nanoTime();
        chain.doFilter(
                new HttpServletRequestWrapper(request) {
                    private ServletInputStream guarded;

                    @Override
                    public ServletInputStream getInputStream() throws IOException {
                        if (guarded == null) {
                            guarded = new Guarded(super.getInputStream(), started);
                        }
                        return guarded;
                    }
                },
                response);
    }

    private final class Guarded extends ServletInputStream {
        private final ServletInputStream in;
        private final long started;
        private long bytes;

        Guarded(ServletInputStream in, long started) {
            this.in = in;
            this.started = started;
        }

        private void check() throws TooSlow {
            double seconds = (System.nanoTime() - started) / 1e9;
            if (seconds > properties.bodySeconds(bytes)) {
                throw new TooSlow(bytes, seconds);
            }
        }

        @Override
        public int read() throws IOException {
            check();
            int b = in.read();
            if (b >= 0) {
                bytes++;
            }
            return b;
        }

        @Override
        public int read(byte[] buffer, int offset, int length) throws IOException {
            check();
            int n = in.read(buffer, offset, length);
            if (n > 0) {
                bytes += n;
            }
            return n;
        }

        @Override
        public boolean isFinished() {
            return in.isFinished();
        }

        @Override
        public boolean isReady() {
            return in.isReady();
        }

        @Override
        public void setReadListener(ReadListener listener) {
            in.setReadListener(listener);
        }
    }
}
