package dev.sublinear.api;

import dev.sublinear.jobs.common.InvalidRequestException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Fields of OpenAI's requests that take several shapes (a string or a list), and the fields the
 * official SDKs may send that this service cannot honour: accepted at their neutral values,
 * refused otherwise with a 400 naming the field, never silently ignored.
 */
final class OpenAiFields {

    /** The most stop sequences, as OpenAI allows. */
    static final int MAX_STOP = 4;

    private OpenAiFields() {}

    /** {@code stop}: absent, a string, or a list of up to {@value #MAX_STOP} non-empty strings. */
    static List<String> stop(Object stop) {
        if (stop == null) {
            return List.of();
        }
        List<String> sequences = new ArrayList<>();
        if (stop instanceof String s) {
            sequences.add(s);
        } else if (stop instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                if (!(list.get(i) instanceof String s)) {
                    throw new InvalidRequestException("stop[" + i + "]", "'stop[" + i + "]' must be a string");
                }
                sequences.add(s);
            }
        } else {
            throw new InvalidRequestException("stop", "'stop' must be a string or a list of strings");
        }
        if (sequences.size() > MAX_STOP) {
            throw new InvalidRequestException(
                    "stop", "at most " + MAX_STOP + " stop sequences (were " + sequences.size() + ")");
        }
        if (sequences.stream().anyMatch(String::isEmpty)) {
            throw new InvalidRequestException("stop", "a stop sequence must not be empty");
        }
        return sequences;
    }

    /**
     * Whether to stream: {@code stream: true}. {@code stream_options} without it is refused, as
     * OpenAI refuses it.
     */
    static boolean streamed(Boolean stream, OpenAiObjects.StreamOptions options) {
        boolean streamed = Boolean.TRUE.equals(stream);
        if (options != null && !streamed) {
            throw new InvalidRequestException("stream_options", "'stream_options' is only allowed with stream: true");
        }
        return streamed;
    }

    /** The penalties and logit biases both endpoints take and this service does not apply. */
    static void noPenaltiesOrBiases(Double frequencyPenalty, Double presencePenalty, Object logitBias) {
        zeroOnly(frequencyPenalty, "frequency_penalty");
        zeroOnly(presencePenalty, "presence_penalty");
        absent(logitBias, "logit_bias", "logit biases are not applied by this service");
    }

    /** A penalty this service does not apply: only 0 (or absent) is honoured. */
    static void zeroOnly(Double value, String param) {
        if (value != null && value != 0) {
            throw cannot(param, "penalties are not applied by this service; send 0 or leave it out");
        }
    }

    /** A field this service has no use for: absent, null or empty only. */
    static void absent(Object value, String param, String why) {
        if (value == null
                || value instanceof Collection<?> c && c.isEmpty()
                || value instanceof Map<?, ?> m && m.isEmpty()) {
            return;
        }
        throw cannot(param, why);
    }

    /** A field whose only honoured values are {@code allowed} (a string, or an object's {@code type}). */
    static void oneOf(Object value, String param, Set<String> allowed, String why) {
        if (value == null) {
            return;
        }
        Object type = value instanceof Map<?, ?> m ? m.get("type") : value;
        if (!allowed.contains(Objects.toString(type))) {
            throw cannot(param, why);
        }
    }

    static InvalidRequestException cannot(String param, String why) {
        return new InvalidRequestException(param, "'" + param + "' cannot be honoured: " + why);
    }
}
