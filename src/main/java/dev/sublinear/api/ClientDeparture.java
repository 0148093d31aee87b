package dev.sublinear.api;

import jakarta.annotation.PreDestroy;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletRequestWrapper;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.springframework.stereotype.Component;
import org.springframework.web.context.request.NativeWebRequest;
import org.springframework.web.context.request.async.DeferredResult;
import org.springframework.web.context.request.async.DeferredResultProcessingInterceptor;
import org.springframework.web.context.request.async.WebAsyncUtils;

/**
 * Notices a client that closed its connection while its asynchronous request waits.
 *
 * <p>Tomcat does not: while a request is asynchronous and its body is read, it neither reads the
 * socket nor tells the AsyncListener when the client leaves (measured with Tomcat 11.0.27: a
 * client killed 6 s into a 1024-token generation got no onError; the generation ran on until its
 * 120 s deadline, when the answer went to the closed connection). So the connection is probed every
 * {@link #PROBE_MILLIS}: with a ReadListener set, {@link ServletInputStream#available()} makes
 * Tomcat try a non-blocking read of the socket, and a closed connection (end of stream or reset)
 * then reads as available bytes although the body was read whole. A client that sent more bytes
 * while waiting (HTTP/1.1 pipelining, which common clients do not use) is taken as gone too.
 */
@Component
class ClientDeparture {

    static final long PROBE_MILLIS = 250;

    private final ScheduledExecutorService probes = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "client-departure");
        t.setDaemon(true);
        return t;
    });

    /** Runs {@code stop} if the client of {@code request} leaves before {@code result} is answered. */
    void watch(HttpServletRequest request, DeferredResult<?> result, Runnable stop) {
        watch(request, result::isSetOrExpired, stop);
    }

    /**
     * As {@link #watch(HttpServletRequest, DeferredResult, Runnable)} for any asynchronous answer
     * (a stream of events: Spring MVC answers a ResponseBodyEmitter through a DeferredResult too),
     * until {@code answered} says it is done. A stream notices a departed client itself when a write
     * fails, but not while it has nothing to write (a model loading, a long prompt).
     */
    void watch(HttpServletRequest request, BooleanSupplier answered, Runnable stop) {
        WebAsyncUtils.getAsyncManager(request)
                .registerDeferredResultInterceptor(ClientDeparture.class, new DeferredResultProcessingInterceptor() {
                    private volatile ScheduledFuture<?> probe;

                    @Override
                    public <T> void preProcess(NativeWebRequest webRequest, DeferredResult<T> deferred)
                            throws IOException {
                        // asynchronous processing has started: only now may a ReadListener be set. On
                        // the container's own stream: a filter's wrapper need not pass available() on
                        ServletInputStream in = container(request).getInputStream();
                        try {
                            in.setReadListener(new ReadListener() {
                                @Override
                                public void onDataAvailable() {}

                                @Override
                                public void onAllDataRead() {}

                                @Override
                                public void onError(Throwable t) {
                                    stop.run();
                                }
                            });
                        } catch (IllegalStateException e) { // a listener is set already: the deadline still holds
                            return;
                        }
                        probe = probes.scheduleWithFixedDelay(
                                () -> {
                                    if (answered.getAsBoolean()) {
                                        return;
                                    }
                                    try {
                                        if (in.available() > 0) {
                                            stop.run();
                                            probe.cancel(false);
                                        }
                                    } catch (IOException | RuntimeException e) {
                                        stop.run(); // the connection is unusable, or the request already recycled
                                        probe.cancel(false);
                                    }
                                },
                                PROBE_MILLIS,
                                PROBE_MILLIS,
                                TimeUnit.MILLISECONDS);
                    }

                    @Override
                    public <T> boolean handleTimeout(NativeWebRequest webRequest, DeferredResult<T> deferred) {
                        stop.run();
                        return true;
                    }

                    @Override
                    public <T> boolean handleError(
                            NativeWebRequest webRequest, DeferredResult<T> deferred, Throwable t) {
                        stop.run();
                        return true;
                    }

                    @Override
                    public <T> void afterCompletion(NativeWebRequest webRequest, DeferredResult<T> deferred) {
                        ScheduledFuture<?> p = probe;
                        if (p != null) {
                            p.cancel(false);
                        }
                        stop.run();
                    }
                });
    }

    private static ServletRequest container(ServletRequest request) {
        ServletRequest r = request;
        while (r instanceof ServletRequestWrapper wrapper) {
            r = wrapper.getRequest();
        }
        return r;
    }

    @PreDestroy
    void close() {
        probes.shutdownNow();
    }
}
