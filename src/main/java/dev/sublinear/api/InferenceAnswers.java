package dev.sublinear.api;

import dev.sublinear.jobs.TextCompletions;
import dev.sublinear.jobs.models.Inference;
import dev.sublinear.jobs.models.InferenceProperties;
import jakarta.servlet.http.HttpServletRequest;
import java.util.function.BiConsumer;
import java.util.function.Function;
import org.springframework.stereotype.Component;
import org.springframework.web.context.request.async.DeferredResult;

/**
 * Answers an inference call without holding a request thread: whole when it ends ({@link
 * DeferredResult}), or streamed as it goes ({@link EventStream}). Either way the call stops before its
 * next token once its client has gone (see {@link ClientDeparture}).
 */
@Component
class InferenceAnswers {

    /** How long past the call's own deadline the request may wait before Spring MVC gives up on it. */
    private static final long ASYNC_MARGIN_MILLIS = 10_000;

    private final InferenceProperties inference;
    private final ClientDeparture departures;

    InferenceAnswers(InferenceProperties inference, ClientDeparture departures) {
        this.inference = inference;
        this.departures = departures;
    }

    /** The answer {@code body} makes of the call's result, when it ends. */
    <T, R> DeferredResult<R> answer(HttpServletRequest http, Inference.Call<T> call, Function<T, R> body) {
        DeferredResult<R> result = new DeferredResult<>(timeoutMillis());
        departures.watch(http, result, call::cancel);
        call.result().whenComplete((value, failure) -> {
            if (failure != null) {
                result.setErrorResult(failure);
                return;
            }
            try {
                result.setResult(body.apply(value));
            } catch (RuntimeException e) { // answered as any handler's failure, not left to the async timeout
                result.setErrorResult(e);
            }
        });
        return result;
    }

    /**
     * A stream of events: {@code start} starts the call, sending chunks as text comes; {@code end}
     * sends what follows the last choice (the usage), then {@code [DONE]}.
     */
    EventStream.Emitter stream(
            HttpServletRequest http,
            Function<EventStream, Inference.Call<TextCompletions.Result>> start,
            BiConsumer<EventStream, TextCompletions.Result> end) {
        EventStream events = new EventStream(timeoutMillis());
        Inference.Call<TextCompletions.Result> call = start.apply(events);
        events.stops(call);
        departures.watch(http, events::over, call::cancel);
        call.result().whenComplete((value, failure) -> {
            if (failure != null) {
                events.fail(failure);
                return;
            }
            try {
                end.accept(events, value);
                events.done();
            } catch (RuntimeException e) {
                events.fail(e);
            }
        });
        return events.emitter();
    }

    private long timeoutMillis() {
        return inference.timeout().toMillis() + ASYNC_MARGIN_MILLIS;
    }
}
