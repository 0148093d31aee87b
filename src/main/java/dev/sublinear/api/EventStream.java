package dev.sublinear.api;

import dev.sublinear.jobs.models.Inference;
import dev.sublinear.jobs.models.InferenceTimeoutException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CancellationException;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.server.ServerHttpResponse;
import org.springframework.web.servlet.mvc.method.annotation.ResponseBodyEmitter;

/**
 * Server-sent events as OpenAI streams them: {@code data: {json}\n\n} per chunk, flushed at once,
 * and {@code data: [DONE]\n\n} at the end. A write that fails (the client left) stops the
 * generation before its next token; so does the request ending any other way (timeout, error).
 *
 * <p>Nothing is written before the first chunk: a failure until then (a prompt longer than the
 * context, a chat template that cannot render) is answered as any request's, problem+json with
 * its status, since the response is not committed yet.
 */
final class EventStream {

    /** {@code text/event-stream}, with the headers that keep proxies from buffering it. */
    static final class Emitter extends ResponseBodyEmitter {

        Emitter(long timeoutMillis) {
            super(timeoutMillis);
        }

        @Override
        protected void extendResponse(ServerHttpResponse response) {
            super.extendResponse(response);
            HttpHeaders headers = response.getHeaders();
            headers.setContentType(MediaType.TEXT_EVENT_STREAM);
            headers.setCacheControl("no-cache");
            headers.set("X-Accel-Buffering", "no");
        }
    }

    private static final MediaType UTF8_TEXT = new MediaType("text", "plain", StandardCharsets.UTF_8);

    private final Emitter emitter;
    private Inference.Call<?> call;
    private boolean started;
    private boolean over;

    EventStream(long timeoutMillis) {
        this.emitter = new Emitter(timeoutMillis);
    }

    Emitter emitter() {
        return emitter;
    }

    /** Stops {@code call} when the stream ends early: the client left, the request timed out or failed. */
    synchronized void stops(Inference.Call<?> call) {
        this.call = call;
        emitter.onError(t -> call.cancel());
        emitter.onTimeout(call::cancel);
        emitter.onCompletion(call::cancel);
    }

    /** Whether the stream has ended, for {@link ClientDeparture}. */
    synchronized boolean over() {
        return over;
    }

    /** Writes one chunk and flushes it; after a failed write, nothing more is written. */
    synchronized void send(Object chunk) {
        write(chunk, MediaType.APPLICATION_JSON);
    }

    /** Ends the stream with {@code data: [DONE]}. */
    synchronized void done() {
        write("[DONE]", UTF8_TEXT);
        finish();
    }

    /**
     * Ends the stream after a failure: before the first chunk as any request's failure (its problem
     * and status); after it, as OpenAI does mid-stream, with an {@code error} event.
     */
    synchronized void fail(Throwable failure) {
        if (over) {
            return;
        }
        if (!started) {
            over = true;
            emitter.completeWithError(failure);
            return;
        }
        if (!(failure instanceof CancellationException)) {
            String code = failure instanceof InferenceTimeoutException ? "generation_timeout" : "internal_error";
            String message = failure instanceof InferenceTimeoutException
                    ? failure.getMessage()
                    : "the generation failed; it has been logged";
            write(
                    // the status line went out with the first chunk: the envelope says server_error itself
                    Map.of("error", Problems.openAiError(HttpStatus.INTERNAL_SERVER_ERROR, code, null, message)),
                    MediaType.APPLICATION_JSON);
        }
        finish();
    }

    private void finish() {
        if (!over) {
            over = true;
            emitter.complete();
        }
    }

    private void write(Object data, MediaType type) {
        if (over) {
            return;
        }
        Set<ResponseBodyEmitter.DataWithMediaType> event = new LinkedHashSet<>();
        event.add(new ResponseBodyEmitter.DataWithMediaType("data: ", UTF8_TEXT));
        event.add(new ResponseBodyEmitter.DataWithMediaType(data, type));
        event.add(new ResponseBodyEmitter.DataWithMediaType("\n\n", UTF8_TEXT));
        try {
            started = true;
            emitter.send(event);
        } catch (IOException | IllegalStateException e) { // the client left, or the request is over
            over = true;
            if (call != null) {
                call.cancel();
            }
        }
    }
}
